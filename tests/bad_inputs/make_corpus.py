"""Write the bad-input corpus: small files a partnership could really send.

Run once (`python tests/bad_inputs/make_corpus.py`) and commit the output; the
expected outcome of every file is in expected.toml, decided from the data
contract (docs: /work/shared/design/data-contract.md), not from what the loader
happens to do. Deterministic: no clock, fixed random seed, fixed zip timestamps.

The two 1 MB-field files are not stored: `write_generated(folder)` writes them at
test time (expected.toml marks them `generated = true`).

Keys never collide with the valid extracts the test loads first (those use
V-/VD-/VE-/VALC- ids and "Valid ..." names; these use BAD-/BD-/BE-/BADC-).
"""
from __future__ import annotations

import io
import re
import random
import struct
import zipfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

REVIEWS = ("review_id,partnership,review_type,notification_date,incident_date,child_ethnicity,"
           "child_sex,child_age_years,harm_cause,primary_suspect,race_considered")
DISCLOSURES = "disclosure_id,child_id,agency,disclosure_date,harm_type,action,action_date"
CHILDREN = "child_id,agency,ethnicity,sex,date_of_birth,first_language,interpreter_needed,disability"
EPISODES = ("episode_id,child_id,agency,episode_type,episode_date,child_seen,seen_alone,voice_recorded,"
            "identity_explored,interpreter_type")
P = "Bad Inputs SCP"


def lines(*rows: str, end: str = "\n") -> bytes:
    return (end.join(rows) + end).encode()


def review(rid: str, **over: str) -> str:
    row = dict(review_id=rid, partnership=P, review_type="RR", notification_date="2024-03-01",
               incident_date="2024-02-01", child_ethnicity="WBRI", child_sex="F", child_age_years="9",
               harm_cause="Neglect", primary_suspect="Mother", race_considered="partial")
    row.update(over)
    return ",".join(row.values())


def disclosure(did: str, **over: str) -> str:
    row = dict(disclosure_id=did, child_id="BADC-" + did, agency="social_care", disclosure_date="2024-01-05",
               harm_type="physical", action="referral", action_date="2024-01-05")
    row.update(over)
    return ",".join(row.values())


def child(cid: str, **over: str) -> str:
    row = dict(child_id=cid, agency="social_care", ethnicity="WBRI", sex="F", date_of_birth="2015-06-01",
               first_language="English", interpreter_needed="N", disability="N")
    row.update(over)
    return ",".join(row.values())


def episode(eid: str, **over: str) -> str:
    row = dict(episode_id=eid, child_id="BADC-" + eid, agency="social_care", episode_type="assessment",
               episode_date="2024-02-10", child_seen="Y", seen_alone="N", voice_recorded="Y",
               identity_explored="N", interpreter_type="not_needed")
    row.update(over)
    return ",".join(row.values())


def xlsx(sheets: dict[str, list[list]], cached: dict[str, str | int] | None = None) -> bytes:
    """A workbook with fixed zip timestamps, so the bytes do not change between runs.

    `cached` gives formula cells (by reference, e.g. "I2") the value Excel saves with them:
    openpyxl writes formulas without one, Excel always writes one."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # creation/modification time stamps
                import re
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", data)
            if info.filename.startswith("xl/worksheets/") and cached:
                import re
                for ref, value in cached.items():
                    kind = b' t="str"' if isinstance(value, str) else b""
                    data = re.sub(rb'<c r="%s"><f>(.*?)</f><v(?: />|></v>)' % ref.encode(),  # <v></v> when openpyxl has lxml
                                  lambda m: b'<c r="%s"%s><f>%s</f><v>%s</v>' % (
                                      ref.encode(), kind, m.group(1), str(value).encode()), data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, data)
    return out.getvalue()


def png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


CIN = """<?xml version="1.0" encoding="utf-8"?>
<Message>
  <Header><Collection>CIN</Collection><Year>2024</Year></Header>
  <Children>
    <Child>
      <ChildIdentifiers><LAchildID>BADC-X1</LAchildID><PersonBirthDate>2015-06-01</PersonBirthDate></ChildIdentifiers>
      <ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>
      <CINdetails><CINreferralDate>2024-01-05</CINreferralDate></CINdetails>
    </Child>
  </Children>
</Message>
"""


def corpus() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    files["empty.csv"] = b""
    files["whitespace_only.csv"] = b"  \r\n\t\n   \n"
    files["header_only.csv"] = lines(REVIEWS)
    files["utf8_bom.csv"] = b"\xef\xbb\xbf" + lines(
        REVIEWS,
        review("BAD-BOM-1", harm_cause="Assault outside a café", primary_suspect="Zoë's stepfather"),
        review("BAD-BOM-2"))
    files["cp1252.csv"] = ("\n".join([
        REVIEWS,
        review("BAD-CP-1", harm_cause="Theft of £50 – neglect", primary_suspect="Café owner"),
        review("BAD-CP-2"),
    ]) + "\n").encode("cp1252")
    files["semicolon.csv"] = lines(
        DISCLOSURES.replace(",", ";"),
        disclosure("BD-SC-1").replace(",", ";"),
        disclosure("BD-SC-2", harm_type="Neglect").replace(",", ";"),
        disclosure("BD-SC-3", harm_type="burns").replace(",", ";"),  # line 4
        end="\r\n")
    files["tab_delimited.tsv"] = lines(
        EPISODES.replace(",", "\t"),
        episode("BE-TAB-1", interpreter_type="Family member").replace(",", "\t"),
        episode("BE-TAB-2", episode_date="2024-02-30").replace(",", "\t"),  # line 3
        episode("BE-TAB-3").replace(",", "\t"))
    files["quoted_newlines.csv"] = lines(
        REVIEWS,
        review("BAD-QN-1", harm_cause='"Assault\nby a stranger"'),  # lines 2-3
        review("BAD-QN-2", review_type="XX", primary_suspect='"Mother\nand\npartner"'),  # lines 4-6
        review("BAD-QN-3"),  # line 7
        review("BAD-QN-4", notification_date="2024-13-01"))  # line 8
    files["crlf_quoted_newlines.csv"] = lines(  # Excel on Windows: CRLF rows, LF inside cells
        CHILDREN,
        child("BADC-CR-1", first_language='"English\n(some Welsh)"'),  # lines 2-3
        child("BADC-CR-2", sex="X"),  # line 4
        child("BADC-CR-3"),  # line 5
        end="\r\n")
    files["truncated_last_line.csv"] = lines(
        EPISODES, episode("BE-TR-1"), episode("BE-TR-2"))[:] + b"BE-TR-3,BADC-BE-TR-3,health,health_cont"  # line 4
    files["truncated_in_quote.csv"] = lines(
        REVIEWS, review("BAD-TQ-1")) + review("BAD-TQ-2", harm_cause='"Neglect and').encode()  # line 3, EOF in quotes
    files["mixed_encoding.csv"] = (lines(REVIEWS, review("BAD-ME-1", harm_cause="Négligence"))  # UTF-8
                                   + lines(review("BAD-ME-2", harm_cause="Français"), end="\n").replace(
                                       "Français".encode(), "Français".encode("cp1252")))  # Windows-1252
    files["unclosed_quote.csv"] = lines(  # line 4 opens a quote nobody closes: only line 4 is lost
        REVIEWS, *(review(f"BAD-UQ-{n}", harm_cause='"Neglect' if n == 3 else "Neglect") for n in range(1, 11)))
    files["too_many_fields.csv"] = lines(
        REVIEWS,
        review("BAD-TM-1"),
        review("BAD-TM-2", harm_cause="Assault, extrafamilial"),  # line 3: unquoted comma, one field too many
        review("BAD-TM-3"))
    files["duplicate_keys.csv"] = lines(
        DISCLOSURES,
        disclosure("BD-DK-1"),  # line 2
        disclosure("BD-DK-2"),  # line 3
        disclosure("BD-DK-1", disclosure_date="2024-01-06", action_date="2024-01-06"),  # line 4: dup of 2
        disclosure("BD-DK-1", agency="POLICE"),  # line 5: another agency, another key
        disclosure("BD-DK-2 "))  # line 6: dup of 3 once trimmed
    files["unknown_ethnicity.csv"] = lines(
        CHILDREN,
        child("BADC-ET-1"),
        child("BADC-ET-2", ethnicity="XXXX"),  # 3
        child("BADC-ET-3", ethnicity="Martian"),  # 4
        child("BADC-ET-4", ethnicity="NOBT"),
        child("BADC-ET-5", ethnicity="refu"),
        child("BADC-ET-6", ethnicity="white - british"),
        child("BADC-ET-7", ethnicity=""),
        child("BADC-ET-8", ethnicity="W BRI"))  # 9
    files["unknown_enum.csv"] = lines(
        EPISODES,
        episode("BE-EN-1"),
        episode("BE-EN-2", episode_type="home_visit"),  # 3
        episode("BE-EN-3", interpreter_type="sign language"),  # 4
        episode("BE-EN-4", child_seen="Yes", seen_alone="maybe"),  # 5
        episode("BE-EN-5", agency="Social Care"),  # 6: valid
        episode("BE-EN-6", agency="nhs"))  # 7
    files["date_31_feb.csv"] = lines(
        REVIEWS,
        review("BAD-FEB-1", notification_date="31/02/2024", incident_date=""),  # 2
        review("BAD-FEB-2", notification_date="29/02/2024"),  # 3: leap day, valid
        review("BAD-FEB-3", notification_date="29/02/2023", incident_date=""))  # 4
    files["date_2024_13_45.csv"] = lines(
        DISCLOSURES,
        disclosure("BD-13-1", disclosure_date="2024-13-45", action_date=""),  # 2
        disclosure("BD-13-2", action_date="2024-00-10"),  # 3
        disclosure("BD-13-3"))
    files["us_dates.csv"] = lines(
        REVIEWS,
        review("BAD-US-1", notification_date="12/31/2024", incident_date=""),  # 2
        review("BAD-US-2", incident_date="02/28/2024"),  # 3
        review("BAD-US-3", notification_date="2024/03/01", incident_date=""),  # 4
        review("BAD-US-4", notification_date="01/03/2024"))  # 5: UK 1 March 2024, valid
    files["future_dates.csv"] = lines(
        EPISODES,
        episode("BE-FU-1", episode_date="2099-01-01"),  # 2
        episode("BE-FU-2", episode_date="01/01/2099"),  # 3
        episode("BE-FU-3"))
    files["impossible_ages.csv"] = lines(
        REVIEWS,
        review("BAD-AGE-1", child_age_years="18"),  # 2
        review("BAD-AGE-2", child_age_years="-1"),  # 3
        review("BAD-AGE-3", child_age_years="ten"),  # 4
        review("BAD-AGE-4", child_age_years="17"),
        review("BAD-AGE-5", child_age_years="0"),
        review("BAD-AGE-6", child_age_years="3.5"))  # 7
    files["incident_after_notification.csv"] = lines(
        REVIEWS,
        review("BAD-IN-1", notification_date="2024-01-05", incident_date="2024-02-01"),  # 2
        review("BAD-IN-2", notification_date="2024-01-05", incident_date="2024-01-05"),
        review("BAD-IN-3"))
    files["action_before_disclosure.csv"] = lines(
        DISCLOSURES,
        disclosure("BD-AB-1", disclosure_date="2024-01-05", action_date="2024-01-01"),  # 2
        disclosure("BD-AB-2"))
    files["excel_serial_in_csv.csv"] = lines(
        REVIEWS,
        review("BAD-SER-1", notification_date="45292", incident_date=""),  # 2
        review("BAD-SER-2", incident_date="45200"),  # 3
        review("BAD-SER-3"))
    import datetime as dt
    header = REVIEWS.split(",")
    files["excel_serial.xlsx"] = xlsx({"Sheet1": [
        header,
        ["BAD-XS-1", P, "RR", 45292, None, "WBRI", "F", 9, "Neglect", "Mother", "none"],  # 2024-01-01
        ["BAD-XS-2", P, "LCSPR", dt.datetime(2024, 2, 1), 45300, "WBRI", "M", 10.0, None, None, None],
        ["BAD-XS-3", P, "RR", 45292.0, "15/12/2023", None, None, None, None, None, None],
    ]})
    files["formulas.csv"] = lines(
        REVIEWS,
        review("BAD-FX-1", harm_cause='"=HYPERLINK(""http://example.org"",""click"")"', primary_suspect="=1+1"),
        review("BAD-FX-2", review_type="=1+1"),  # 3
        review("BAD-FX-3", child_sex='"=HYPERLINK(""http://example.org"",""F"")"'))  # 4
    files["formulas.xlsx"] = xlsx({"Sheet1": [  # as Excel saves them: formula plus its value
        header,
        ["BAD-FXX-1", P, "RR", "2024-03-01", None, "WBRI", "F", 9,
         '=HYPERLINK("http://example.org","click")', '="Mother"&"\'s partner"', "none"],  # I2, J2
        ["BAD-FXX-2", P, "=1+1", "2024-03-01", None, None, None, None, None, None, None],  # row 3: C3
        ["BAD-FXX-3", P, "LCSPR", "=DATE(2024,1,15)", None, None, '=IF(1=1,"F","M")', None, None, None, None],
    ]}, cached={"I2": "click", "J2": "Mother's partner", "C3": 2, "D4": 45306, "G4": "F"})
    rng = random.Random(20240101)
    junk = bytearray(rng.randbytes(4096))
    junk[0:2], junk[100] = b"\x13\x37", 0  # not a zip signature; a NUL for sure
    files["binary_junk.csv"] = bytes(junk)
    files["png_renamed.csv"] = png_1x1()
    files["wrong_kind.csv"] = lines(CHILDREN, child("BADC-WK-1"), child("BADC-WK-2"))  # loaded with --kind episodes
    files["unrecognisable.csv"] = lines("Name,Score,Comment", "Alice,3,fine", "Bob,4,ok")
    files["multi_sheet.xlsx"] = xlsx({
        "Read me": [["Disclosures extract for the partnership"], ["Produced by the MASH team"]],
        "Summary": [["harm type", "count"], ["physical", 2], ["neglect", 1]],
        "Disclosures": [DISCLOSURES.split(","),
                        disclosure("BD-MS-1").split(","),
                        disclosure("BD-MS-2", harm_type="burns").split(","),  # row 3
                        disclosure("BD-MS-3", harm_type="Neglect").split(",")],
    })
    files["title_block.xlsx"] = xlsx({"Export": [
        ["Northbridge children's social care: children"],
        ["Exported 01/04/2024 by the performance team"],
        [],
        CHILDREN.split(","),  # row 4
        child("BADC-TB-1").split(","),
        child("BADC-TB-2", sex="Q").split(","),  # row 6
        child("BADC-TB-3").split(","),
    ]})
    whole = xlsx({"Sheet1": [header, review("BAD-TX-1").split(","), review("BAD-TX-2").split(",")]})
    files["truncated.xlsx"] = whole[: len(whole) // 2]
    files["csv_named.xlsx"] = lines(REVIEWS, review("BAD-CX-1"))
    files["beyond_header.xlsx"] = xlsx({"Sheet1": [header, review("BAD-BH-1").split(","),
                                                   review("BAD-BH-2").split(",") + ["", "stray note"],  # row 3
                                                   review("BAD-BH-3").split(",")]})
    good = [header, review("BAD-XS-1").split(",")]
    files["sheet_xml_malformed.xlsx"] = rezip(xlsx({"Sheet1": good}), "xl/worksheets/sheet1.xml",
                                              lambda xml: xml.replace(b"</sheetData>", b"<row><c></sheetData>"))
    files["sheet_entities.xlsx"] = rezip(xlsx({"Sheet1": good}), "xl/worksheets/sheet1.xml", lambda xml: xml.replace(
        b"<worksheet", b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                       b"<worksheet", 1))
    files["no_worksheets.xlsx"] = rezip(xlsx({"Sheet1": good}), "xl/workbook.xml",
                                        lambda xml: re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", xml))
    crc = bytearray(xlsx({"Sheet1": good}))
    name = b"xl/worksheets/sheet1.xml"
    local = crc.find(name)
    central = crc.find(name, local + 1)
    for at in (local - 30 + 14, central - 46 + 16):  # the sheet's CRC-32, in its local and its central header
        crc[at:at + 4] = bytes(4)
    files["bad_crc.xlsx"] = bytes(crc)
    files["blank_lines.csv"] = lines(
        REVIEWS,
        review("BAD-BL-1"),  # 2
        "", "",  # 3, 4
        review("BAD-BL-2"),  # 5
        "   ",  # 6
        "," * 10,  # 7: an all-empty row, as Excel writes
        review("BAD-BL-3", review_type="XX"),  # 8
        "", "")
    files["required_missing.csv"] = lines(
        DISCLOSURES,
        disclosure("BD-RQ-1", disclosure_date="", action_date=""),  # 2
        disclosure("BD-RQ-2", agency=""),  # 3
        disclosure("BD-RQ-3", child_id=""),  # 4
        disclosure("BD-RQ-4"),  # 5
        disclosure("   "))  # 6
    files["long_child_id.csv"] = lines(
        CHILDREN,
        child("BADC-LONG-" + "X" * 55),  # line 2: 65 characters
        child("BADC-LONG-" + "Y" * 54),  # 64 characters: valid
        child("BADC-LONG-3"))
    files["child_dates.csv"] = lines(
        CHILDREN,
        child("BADC-DOB-1", date_of_birth="2015-06"),
        child("BADC-DOB-2", date_of_birth="2099-01-01"),  # 3
        child("BADC-DOB-3", date_of_birth="1980-01-01"),  # 4
        child("BADC-DOB-4", date_of_birth="06/2015"))  # 5
    files["population_counts.csv"] = lines(
        "area,ethnic_group,children",
        'Bad Town,White,"12,000"',
        "Bad Town,Asian,twelve",  # 3
        "Bad Town,Black,-5",  # 4
        "Bad Town,Martian,100",  # 5
        "Bad Town,mixed,900")
    files["duplicate_header.csv"] = lines("Review ID,partnership,review_type,notification_date,review_id",
                                          f"BAD-DH-1,{P},RR,2024-03-01,BAD-DH-1")
    files["utf16_unicode_text.txt"] = ("\ufeff" + "\n".join(
        [EPISODES.replace(",", "\t"), episode("BE-U16-1").replace(",", "\t")]) + "\n").encode("utf-16-le")
    files["cin_census.xml"] = CIN.encode()
    files["cin_census_named.txt"] = b"\xef\xbb\xbf" + CIN.encode()  # XML under another name: sniffed
    # line 7: <Ethnicity> closed by </Ethnic>; the parser points at the tag name, column 46 (1-based)
    files["cin_malformed.xml"] = CIN.replace("WBRI</Ethnicity>", "WBRI</Ethnic>").encode()
    cut = CIN.index("<Ethnicity>") + len("<Ethnicity>WB")
    files["cin_truncated.xml"] = CIN[:cut].encode()  # ends on line 7 after 41 characters: error at column 42
    files["cin_entities.xml"] = (
        '<?xml version="1.0"?>\n<!DOCTYPE Message [\n <!ENTITY a "aaaaaaaaaa">\n'
        ' <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n]>\n'
        "<Message><Children><Child><LAchildID>&c;</LAchildID></Child></Children></Message>\n").encode()
    return files


def rezip(workbook: bytes, member: str, change) -> bytes:
    """The workbook with one member's bytes changed, everything else as it was."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info, change(data) if info.filename == member else data)
    return out.getvalue()


def zip_bomb() -> bytes:
    """3 MB on disk, about 150 MB unpacked: two million one-cell rows (more than Excel allows)."""
    rows = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (i, i)
                    for i in range(1, 2_000_001))
    return rezip(xlsx({"Sheet1": [REVIEWS.split(",")]}), "xl/worksheets/sheet1.xml",
                 lambda xml: xml.replace(b"</sheetData>", rows + b"</sheetData>"))


def one_mb_unquoted() -> bytes:
    """Line 2: a 1 MB harm_cause with no quotes (the fast reader); line 3 valid."""
    return lines(REVIEWS, review("BAD-MB-1", harm_cause="A" * (1 << 20)), review("BAD-MB-2"))


def one_mb_quoted() -> bytes:
    """Lines 2-101: a quoted 1 MB primary_suspect with commas, quotes and 99 newlines; 102 valid; 103 bad."""
    chunk = 'Said ""no"", then left, ' * 441  # ~10.6 KB a line
    field = '"' + "\n".join([chunk] * 100) + '"'
    return lines(REVIEWS, review("BAD-MQ-1", primary_suspect=field), review("BAD-MQ-2"),
                 review("BAD-MQ-3", review_type="XX"))


GENERATED = {"one_mb_field.csv": one_mb_unquoted, "one_mb_quoted_field.csv": one_mb_quoted,
             "zip_bomb.xlsx": zip_bomb}


def write_generated(folder: Path) -> None:
    for name, make in GENERATED.items():
        (folder / name).write_bytes(make())


def main() -> None:
    for name, data in corpus().items():
        (HERE / name).write_bytes(data)
    print(f"wrote {len(corpus())} files to {HERE}")


if __name__ == "__main__":
    main()
