"""Reading CSV and XLSX into all-text tables whose line numbers match the file."""
from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from openpyxl import Workbook

from pipelines.readers import LINE, FileProblem, detect_kind, normalise_header, read_table
from pipelines.schema import KINDS


def read(tmp_path, data: bytes, name: str = "x.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return read_table(path)


def rows(table) -> list[tuple]:
    return table.frame.rows()


@pytest.mark.parametrize("raw", ["Child ID", "child-id", " CHILD_ID ", "child_id", "Child  ID", "\ufeffchild_id"])
def test_header_normalisation(raw):
    assert normalise_header(raw) == "child_id"


# A quoted cell (or a CR) sends a file to the exact reader; plain files take the fast one. Both must agree.
QUOTED = b'a,b\n"1",2\n'


@pytest.mark.parametrize("prefix", [b"", b"\xef\xbb\xbf"], ids=["plain", "bom"])
def test_bom_is_dropped_from_header(tmp_path, prefix):
    t = read(tmp_path, prefix + b"Child ID,Agency\nC1,police\n")
    assert t.frame.columns == ["child_id", "agency", LINE]
    assert rows(t) == [("C1", "police", 2)]


@pytest.mark.parametrize("body", [b"a,b\n1,caf\xe9\n", b'a,b\n1,"caf\xe9"\n'], ids=["fast", "exact"])
def test_cp1252(tmp_path, body):
    assert rows(read(tmp_path, body)) == [("1", "café", 2)]


def test_utf8_kept(tmp_path):
    assert rows(read(tmp_path, "a,b\n1,Zoë\n".encode())) == [("1", "Zoë", 2)]


@pytest.mark.parametrize("body", [b"A;B\n1;2,5\n", b"A;B\r\n1;2,5\r\n"])
def test_semicolon_delimiter(tmp_path, body):
    t = read(tmp_path, body)
    assert t.frame.columns == ["a", "b", LINE]
    assert rows(t) == [("1", "2,5", 2)]


def test_quoted_newline_keeps_physical_line_numbers(tmp_path):
    t = read(tmp_path, b'a,b\n1,"two\nlines"\n3,4\n5,"x\n\ny"\n6,7\n')
    assert rows(t) == [("1", "two\nlines", 2), ("3", "4", 4), ("5", "x\n\ny", 5), ("6", "7", 8)]


def test_crlf_line_numbers(tmp_path):
    assert [r[-1] for r in rows(read(tmp_path, b"a,b\r\n1,2\r\n\r\n3,4\r\n"))] == [2, 4]


@pytest.mark.parametrize("quote", [False, True], ids=["fast", "exact"])
def test_short_and_long_rows_reported_with_line(tmp_path, quote):
    body = b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n" + (b'"13",14,15\n' if quote else b"")
    t = read(tmp_path, body)
    assert [r[-1] for r in rows(t)][:2] == [2, 5]
    assert [line for line, _ in t.bad_rows] == [3, 4]
    assert "2 fields" in t.bad_rows[0][1] and "4 fields" in t.bad_rows[1][1]


def test_unreadable_row_does_not_swallow_the_rest(tmp_path):
    t = read(tmp_path, b'a,b\n1,"x"y\n3,4\n5,6\n')
    assert [line for line, _ in t.bad_rows] == [2]
    assert rows(t) == [("3", "4", 3), ("5", "6", 4)]


@pytest.mark.parametrize("body,lines", [
    (b"a,b\n1,2\n\n3,4\n\n\n5,6\n", [2, 4, 7]),
    (b'a,b\n1,2\n\n"3",4\n', [2, 4]),
    (b"a,b\n1,2\n,\n3,4\n", [2, 4]),  # a row of empty cells is a blank line too
    (b'a,b\n1,2\n,\n"3",4\n', [2, 4]),
    (b"a,b\n1,2\n3,4\n\n\n", [2, 3]),
])
def test_blank_lines_skipped_with_correct_line_numbers(tmp_path, body, lines):
    assert [r[-1] for r in rows(read(tmp_path, body))] == lines


def test_empty_and_binary_files_are_file_problems(tmp_path):
    with pytest.raises(FileProblem, match="empty"):
        read(tmp_path, b"\n\n")
    with pytest.raises(FileProblem, match="binary"):
        read(tmp_path, b"a,b\n\x00\x01\x02\n")
    with pytest.raises(FileProblem, match="not an Excel workbook"):
        read(tmp_path, b"a,b\n1,2\n", name="x.xlsx")


def test_duplicate_header_is_a_file_problem(tmp_path):
    with pytest.raises(FileProblem, match="child_id") as info:
        read(tmp_path, b"Child ID,child_id\n1,2\n")
    assert info.value.line == 1


EPISODE_HEADER = ["Episode ID", "Child ID", "Agency", "Episode type", "Episode date"]


def workbook(path, sheets: dict[str, list[list]]):
    wb = Workbook()
    wb.remove(wb.active)
    for title, sheet_rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in sheet_rows:
            ws.append(r)
    wb.save(path)
    return path


def test_xlsx_first_sheet(tmp_path):
    path = workbook(tmp_path / "e.xlsx", {"Sheet A": [EPISODE_HEADER, ["E1", "C1", "police", "referral", "2024-01-05"]],
                                          "Sheet B": [["other", "stuff"], [1, 2]]})
    t = read_table(path)
    assert t.excel
    assert t.frame.columns == ["episode_id", "child_id", "agency", "episode_type", "episode_date", LINE]
    assert rows(t) == [("E1", "C1", "police", "referral", "2024-01-05", 2)]


def test_xlsx_sheet_named_after_kind(tmp_path):
    path = workbook(tmp_path / "e.xlsx", {
        "Notes": [["This workbook holds the police extract"]],
        "Children": [["child_id", "agency"], ["C9", "police"]],
        "Episodes": [EPISODE_HEADER, ["E1", "C1", "police", "referral", "2024-01-05"]]})
    assert rows(read_table(path, "episodes"))[0][0] == "E1"
    assert rows(read_table(path, "children")) == [("C9", "police", 2)]
    assert rows(read_table(path))[0][0] == "C9"  # no hint: the first sheet named after a kind


def test_xlsx_title_rows_dates_and_sheet_line_numbers(tmp_path):
    path = workbook(tmp_path / "e.xlsx", {"Episodes": [
        ["Northbridge police contacts, April 2024"],
        [],
        EPISODE_HEADER,                                               # row 3
        ["E1", "C1", "police", "referral", dt.date(2024, 1, 5)],      # row 4
        [],                                                           # row 5: blank, skipped
        ["E2", "C2", "police", "referral", 45123],                    # row 6: a serial number
        ["E3", "C3", "police", "referral", dt.datetime(2024, 2, 5, 10, 30)],
        ["E4", "C4", "police"],                                       # row 8: short, padded with blanks
    ]})
    t = read_table(path)
    assert rows(t) == [("E1", "C1", "police", "referral", "2024-01-05", 4),
                       ("E2", "C2", "police", "referral", "45123", 6),
                       ("E3", "C3", "police", "referral", "2024-02-05", 7),
                       ("E4", "C4", "police", None, None, 8)]


def test_xlsx_without_header_is_a_file_problem(tmp_path):
    path = workbook(tmp_path / "e.xlsx", {"Sheet": [["nothing", "here"], [1, 2]]})
    with pytest.raises(FileProblem, match="no header row"):
        read_table(path)


KIND_HEADERS = {
    "reviews": "review_id,partnership,review_type,notification_date,child_ethnicity",
    "children": "child_id,agency,ethnicity,sex",
    "episodes": "episode_id,child_id,agency,episode_type,episode_date,child_seen",
    "disclosures": "disclosure_id,child_id,agency,disclosure_date,action",
    "referrals": "child_id,agency,referral_date,referral_nfa",
    "population": "Area,Ethnic group,Children",
}


@pytest.mark.parametrize("kind", KINDS)
def test_detect_each_kind(kind):
    header = [normalise_header(h) for h in KIND_HEADERS[kind].split(",")] + ["notes"]
    assert detect_kind(header, "x.csv").name == kind


@pytest.mark.parametrize("header,missing", [
    ("episode_id,child_id,agency,episode_type", "episode_date"),
    ("review_id,partnership,notification_date", "review_type"),
    ("area,children", "ethnic_group"),
])
def test_unknown_file_names_missing_column(header, missing):
    with pytest.raises(FileProblem, match=missing) as info:
        detect_kind(header.split(","), "mystery.csv")
    assert "mystery.csv" in str(info.value)


def test_unrelated_file_is_refused():
    with pytest.raises(FileProblem, match="cannot tell"):
        detect_kind(["name", "address"], "staff.csv")


def test_big_plain_csv_is_read_in_slices_with_the_same_rows_and_lines(tmp_path, monkeypatch):
    import pipelines.readers as readers

    rows = "".join(f"E{n},C{n % 7},health,health_contact,2024-01-{n % 28 + 1:02d},Y\n" for n in range(5000))
    path = tmp_path / "episodes.csv"
    path.write_text("episode_id,child_id,agency,episode_type,episode_date,child_seen\n" + rows)
    whole = readers.read_table(path).frame
    monkeypatch.setattr(readers, "CHUNK_BYTES", 4096)
    batches = list(readers.read_batches(path))
    assert len(batches) > 10
    assert pl.concat([b.frame for b in batches]).equals(whole)
    assert batches[-1].frame[readers.LINE][-1] == 5001


def test_a_late_odd_slice_asks_for_the_full_reader(tmp_path, monkeypatch):
    import pipelines.readers as readers

    rows = [f"E{n},C{n},health,health_contact,2024-01-05,Y" for n in range(3000)]
    rows[2500] = 'E2500,"C,2500",health,health_contact,2024-01-05,Y'  # quoting far into the file
    path = tmp_path / "episodes.csv"
    path.write_text("episode_id,child_id,agency,episode_type,episode_date,child_seen\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(readers, "CHUNK_BYTES", 4096)
    batches = readers.read_batches(path)
    assert next(batches).frame.height > 0
    with pytest.raises(readers.NotPlain):
        list(batches)
    whole = readers.read_table(path).frame
    assert whole.filter(pl.col(readers.LINE) == 2502)["child_id"].item() == "C,2500"


def test_an_odd_first_slice_reads_the_whole_file_at_once(tmp_path, monkeypatch):
    import pipelines.readers as readers

    rows = [f"E{n},C{n},health,health_contact,2024-01-05,Y" for n in range(3000)]
    rows[3] = 'E3,"C,3",health,health_contact,2024-01-05,Y'
    path = tmp_path / "episodes.csv"
    path.write_text("episode_id,child_id,agency,episode_type,episode_date,child_seen\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(readers, "CHUNK_BYTES", 4096)
    batches = list(readers.read_batches(path))
    assert len(batches) == 1 and batches[0].frame.height == 3000


def test_loader_starts_again_when_a_late_slice_is_odd(tmp_path, monkeypatch, cfg):
    import pipelines.readers as readers
    from pipelines.loader import load_file

    rows = [f"E{n},C{n % 50},health,health_contact,2024-01-05,Y" for n in range(3000)]
    rows[2500] = 'E2500,"C,7",health,health_contact,2024-01-05,Y'
    rows[2600] = "E2600,C1,health,not_a_type,2024-01-05,Y"
    path = tmp_path / "episodes.csv"
    path.write_text("episode_id,child_id,agency,episode_type,episode_date,child_seen\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(readers, "CHUNK_BYTES", 4096)
    result = load_file(path, cfg)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == ("loaded", 3000, 2999, 1)
