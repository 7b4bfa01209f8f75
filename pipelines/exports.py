"""Tables as CSV and XLSX, safe to open in a spreadsheet.

A cell that starts with =, +, - or @ could run as a formula in Excel, so text
cells like that are prefixed with an apostrophe (OWASP's CSV injection advice).
Numbers stay numbers.
"""
from __future__ import annotations

import io

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE: contains small numbers, for internal use only. Do not publish."


def neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]):  # object or pandas' string dtype
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def to_csv(frame: pd.DataFrame, internal: bool = False) -> bytes:
    text = safe_frame(frame).to_csv(index=False)
    return ((f"# {OFFICIAL_SENSITIVE}\n" if internal else "") + text).encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame, sheet: str = "table", internal: bool = False) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": {"strings_to_formulas": False}}) as writer:
        start = 2 if internal else 0
        safe_frame(frame).to_excel(writer, sheet_name=sheet[:31], index=False, startrow=start)
        if internal:
            writer.sheets[sheet[:31]].write_string(0, 0, OFFICIAL_SENSITIVE)
    return buffer.getvalue()
