"""Every value normaliser, one raw cell at a time: canonical value, or null and a reason."""
from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pipelines.normalise import normalise_column
from pipelines.schema import FLAG, INTERPRETER_TYPES, Column

TODAY = dt.date(2025, 3, 15)
OK = None  # no reason: the value is valid (or blank and optional)


def normalise(col: Column, raw: str | None, excel: bool = False) -> tuple[object, str | None]:
    frame = pl.DataFrame({col.name: [raw]}, schema={col.name: pl.String})
    value, reason = normalise_column(col, excel=excel, today=TODAY)
    row = frame.select(value.alias("value"), reason.alias("reason")).row(0)
    return row[0], row[1]


FLAG_COL = Column("disability", "enum", values=FLAG)


@pytest.mark.parametrize("raw,expected", [
    ("Y", "Y"), ("N", "N"), ("y", "Y"), ("yes", "Y"), ("Yes", "Y"), ("No", "N"), ("NO", "N"),
    ("TRUE", "Y"), ("true", "Y"), ("false", "N"), ("False", "N"), ("1", "Y"), ("0", "N"), (" y ", "Y"),
])
def test_flag_synonyms(raw, expected):
    assert normalise(FLAG_COL, raw) == (expected, OK)


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_blank_flag_is_not_coded(raw):
    assert normalise(FLAG_COL, raw) == (None, OK)


@pytest.mark.parametrize("raw", ["maybe", "2", "YN", "n/a"])
def test_flag_outside_contract_has_reason(raw):
    value, reason = normalise(FLAG_COL, raw)
    assert value is None and "Y, N" in reason


def test_flag_synonyms_only_for_flag_enums():
    # 'yes' is a value of tor_race_focus in its own right; '1' and 'true' are not
    tor = Column("tor_race_focus", "enum", values=("yes", "no", "unclear", "no_tor"))
    assert normalise(tor, "YES") == ("yes", OK)
    assert normalise(tor, "1")[0] is None and normalise(tor, "1")[1]
    assert normalise(tor, "Y")[0] is None


INTERPRETER = Column("interpreter_type", "enum", values=INTERPRETER_TYPES)


@pytest.mark.parametrize("raw,expected", [
    ("professional", "professional"), ("PROFESSIONAL", "professional"), ("Family member", "family_member"),
    ("family-member", "family_member"), ("FAMILY_MEMBER", "family_member"), (" Not needed ", "not_needed"),
    ("Needed not provided", "needed_not_provided"),
])
def test_enum_case_and_separators(raw, expected):
    assert normalise(INTERPRETER, raw) == (expected, OK)


def test_enum_unknown_value_names_allowed_values():
    value, reason = normalise(INTERPRETER, "sign language")
    assert value is None
    assert "not_needed" in reason and "family_member" in reason


def test_enum_keeps_canonical_case():
    review_type = Column("review_type", "enum", True, ("RR", "LCSPR"))
    assert normalise(review_type, "lcspr") == ("LCSPR", OK)
    assert normalise(review_type, "rr") == ("RR", OK)


DATE = Column("episode_date", "date")


@pytest.mark.parametrize("raw,expected", [
    ("2024-01-05", dt.date(2024, 1, 5)),
    ("05/01/2024", dt.date(2024, 1, 5)),  # UK: 5 January, never 1 May
    ("5/1/2024", dt.date(2024, 1, 5)),
    ("29/02/2024", dt.date(2024, 2, 29)),
    (" 2024-01-05 ", dt.date(2024, 1, 5)),
    ("2025-03-15", dt.date(2025, 3, 15)),  # today is not the future
])
def test_valid_dates(raw, expected):
    assert normalise(DATE, raw) == (expected, OK)


@pytest.mark.parametrize("raw,why", [
    ("31/02/2024", "valid date"),
    ("29/02/2023", "valid date"),
    ("2024-13-01", "valid date"),
    ("12/31/2024", "valid date"),  # US style is never guessed
    ("2024/01/05", "valid date"),
    ("yesterday", "valid date"),
    ("2025-03-16", "future"),
    ("01/01/2030", "future"),
    ("1899-12-31", "1900"),
])
def test_invalid_dates(raw, why):
    value, reason = normalise(DATE, raw)
    assert value is None
    assert why in reason


@pytest.mark.parametrize("raw", ["45123", "45123.0"])
def test_excel_serial_dates_only_from_workbooks(raw):
    expected = dt.date(1899, 12, 30) + dt.timedelta(days=45123)  # Excel's day 0 (after its 1900 leap-year bug)
    assert expected == dt.date(2023, 7, 16)
    assert normalise(DATE, raw, excel=True) == (expected, OK)
    value, reason = normalise(DATE, raw, excel=False)
    assert value is None and "valid date" in reason


def test_excel_flag_does_not_break_text_dates():
    assert normalise(DATE, "05/01/2024", excel=True) == (dt.date(2024, 1, 5), OK)


def test_required_date_blank():
    assert normalise(Column("episode_date", "date", True), "") == (None, "required value is missing")


BIRTH = Column("date_of_birth", "birth_month")


@pytest.mark.parametrize("raw,expected", [
    ("2019-07-15", "2019-07"), ("15/07/2019", "2019-07"), ("2019-07", "2019-07"), ("2025-03", "2025-03"),
])
def test_birth_month_keeps_year_and_month_only(raw, expected):
    assert normalise(BIRTH, raw) == (expected, OK)


def test_birth_month_from_excel_serial():
    assert normalise(BIRTH, "45123", excel=True) == ("2023-07", OK)


@pytest.mark.parametrize("raw,why", [
    ("2025-04", "future"), ("2030-01-01", "future"), ("2019-13", "valid date of birth"),
    ("07/2019", "valid date of birth"), ("1980-01-01", "30 years"), ("not known", "valid date of birth"),
])
def test_invalid_birth_month(raw, why):
    value, reason = normalise(BIRTH, raw)
    assert value is None and why in reason


def test_blank_birth_month_is_allowed():
    assert normalise(BIRTH, "") == (None, OK)


ETHNICITY = Column("ethnicity", "ethnicity")


@pytest.mark.parametrize("raw,expected", [
    ("WBRI", "WBRI"), ("wbri", "WBRI"), (" Bafr ", "BAFR"), ("White - British", "WBRI"),
    ("white british", "WBRI"), ("WHITE-BRITISH", "WBRI"), ("black - african", "BAFR"), ("Chinese", "CHNE"),
    ("Traveller of Irish heritage", "WIRT"), ("gypsy/roma", "WROM"), ("NOBT", "NOBT"), ("Refused", "REFU"),
    ("REFU", "REFU"), ("Information not yet obtained", "NOBT"),
])
def test_ethnicity_codes_and_labels(raw, expected):
    assert normalise(ETHNICITY, raw) == (expected, OK)


@pytest.mark.parametrize("raw", ["", "  ", None])
def test_blank_ethnicity_is_null_not_an_error(raw):
    assert normalise(ETHNICITY, raw) == (None, OK)


@pytest.mark.parametrize("raw", ["Martian", "WBR", "White", "Black British"])
def test_unknown_ethnicity_has_reason(raw):
    value, reason = normalise(ETHNICITY, raw)
    assert value is None and "ethnicity" in reason


AGE = Column("child_age_years", "age")


@pytest.mark.parametrize("raw,expected", [("0", 0), ("17", 17), ("3.0", 3), (" 5 ", 5), ("", None)])
def test_valid_ages(raw, expected):
    assert normalise(AGE, raw) == (expected, OK)


@pytest.mark.parametrize("raw", ["18", "-1", "3.5", "three", "1e1"])
def test_invalid_ages(raw):
    value, reason = normalise(AGE, raw)
    assert value is None and "0 to 17" in reason


COUNT = Column("children", "count", True)


@pytest.mark.parametrize("raw,expected", [("1,234", 1234), ("0", 0), ("78000", 78000), ("12.0", 12)])
def test_counts(raw, expected):
    assert normalise(COUNT, raw) == (expected, OK)


@pytest.mark.parametrize("raw,why", [("-3", "whole number"), ("1.5", "whole number"), ("lots", "whole number"),
                                     ("", "required value is missing")])
def test_invalid_counts(raw, why):
    value, reason = normalise(COUNT, raw)
    assert value is None and why in reason


GROUP = Column("ethnic_group", "ethnic_group", True)


@pytest.mark.parametrize("raw,expected", [("White", "White"), ("black", "Black"), ("ASIAN", "Asian")])
def test_major_groups(raw, expected):
    assert normalise(GROUP, raw) == (expected, OK)


def test_unknown_major_group():
    value, reason = normalise(GROUP, "Not known")
    assert value is None and "White" in reason


TEXT = Column("harm_cause", "text")


def test_text_is_trimmed_and_limited():
    assert normalise(TEXT, "  Neglect ") == ("Neglect", OK)
    assert normalise(TEXT, "x" * 1000) == ("x" * 1000, OK)
    value, reason = normalise(TEXT, "x" * 1001)
    assert value is None and "1,000" in reason


def test_child_id_limit():
    col = Column("child_id", "child_id", True)
    assert normalise(col, "A" * 64) == ("A" * 64, OK)
    value, reason = normalise(col, "A" * 65)
    assert value is None and "64" in reason


@pytest.mark.parametrize("col", [Column("review_id", "text", True), Column("child_id", "child_id", True),
                                 Column("agency", "enum", True, ("police", "health")),
                                 Column("notification_date", "date", True)])
@pytest.mark.parametrize("raw", ["", "   ", None])
def test_required_blank(col, raw):
    assert normalise(col, raw) == (None, "required value is missing")


def test_birth_month_check_works_on_29_february():
    frame = pl.DataFrame({"date_of_birth": ["2019-07", "1990-01-01"]})
    value, reason = normalise_column(BIRTH, today=dt.date(2024, 2, 29))
    assert frame.select(value.alias("v"), reason.alias("r")).rows() == [
        ("2019-07", None), (None, "date of birth more than 30 years ago")]
