"""Reference data shipped inside the package (copied from the shared design folder)."""
from __future__ import annotations

import csv
import re
from functools import cache

from .config import REFERENCE_DIR

MAJOR_GROUPS = ("White", "Mixed", "Asian", "Black", "Other")
NOT_KNOWN = "Not known"


@cache
def ethnicity_codes() -> dict[str, tuple[str, str]]:
    """DfE code -> (label, major group)."""
    with open(REFERENCE_DIR / "dfe_ethnicity_codes.csv", newline="", encoding="utf-8") as f:
        return {r["code"]: (r["label"], r["major_group"]) for r in csv.DictReader(f)}


def label_key(text: str) -> str:
    """Fold a label so 'White - British', 'white british' and 'WHITE-BRITISH' match."""
    return re.sub(r"[^a-z]+", " ", text.lower()).strip()


@cache
def ethnicity_lookup() -> dict[str, str]:
    """Every accepted spelling (code or folded label) -> DfE code."""
    lookup = {code.lower(): code for code in ethnicity_codes()}
    lookup.update({label_key(label): code for code, (label, _) in ethnicity_codes().items()})
    return lookup


@cache
def national_baseline() -> list[dict]:
    """The Panel's published national figures, one dict per row."""
    with open(REFERENCE_DIR / "its_silent_national_baseline.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["numerator"], r["denominator"] = int(r["numerator"]), int(r["denominator"])
    return rows
