"""Disproportionality a board can read: each ethnic group's rate against White children's.

Tables only (no Streamlit), built from report.indicator_frame, so a comparison uses exactly the
published figures: a hidden cell is never compared, and nothing here reads a hidden count. Rates
carry 95% Wilson intervals (from the frame); rate ratios 95% Katz log intervals (stats.rate_ratio).

The reference group is White children. Where White children have no usable figure (absent, hidden
or a zero count), each group is compared with all other children instead: the overall figure minus
the group's own, both published; if the overall figure is hidden too, the other groups shown.
"""
from __future__ import annotations

import duckdb
import pandas as pd

from .narrative import MAY_BE_CHANCE, TOO_FEW, Ratio, comparison_sentence
from .report import NOT_APPLICABLE, SUPPRESSED, format_value, group_label
from .stats import rate_ratio

REFERENCE_GROUP = "White"
REFERENCE = "reference group"
HIDDEN = "hidden to protect children's privacy"
COLUMNS = ["group", "group_label", "numerator", "denominator", "value", "ci_low", "ci_high", "suppressed", "scale",
           "against", "ratio", "ratio_low", "ratio_high", "finding", "why"]


def comparison(frame: pd.DataFrame, overall: pd.DataFrame | None = None,
               reference: str = REFERENCE_GROUP) -> pd.DataFrame:
    """One row per group of a one-way breakdown, in the frame's order; no group is ever dropped.

    finding: reference group, higher, lower, the difference may be chance, or too few to compare
    (why says which: hidden, none counted, no children in the group). `overall` is the same
    indicator's frame with no breakdown, for the all-other-children comparison."""
    rows = [r for _, r in frame.iterrows()]
    ref = next((r for r in rows if r["group"] == reference and not _too_few(r)), None)
    total = overall.iloc[0] if overall is not None and len(overall) and not _too_few(overall.iloc[0]) else None
    out = []
    for r in rows:
        base = {c: r.get(c) for c in COLUMNS[:9]}
        ratio, against, why = None, f"{reference} children", _too_few(r)
        if ref is not None and r["group"] == reference:
            out.append({**base, "against": "", "ratio": None, "ratio_low": None, "ratio_high": None,
                        "finding": REFERENCE, "why": ""})
            continue
        if ref is not None:
            counts = int(ref["numerator"]), int(ref["denominator"])
        elif total is not None:
            against = "all other children"
            counts = _minus(total, r) if not why else None
        else:
            against = "children in the other groups shown"
            others = [o for o in rows if o is not r and not pd.isna(o["numerator"]) and not pd.isna(o["denominator"])]
            counts = (int(sum(o["numerator"] for o in others)), int(sum(o["denominator"] for o in others)))
        if not why:
            ratio = rate_ratio(int(r["numerator"]), int(r["denominator"]), *counts) if counts else None
            why = "" if ratio else f"too few in the comparison group ({against})"
        finding = Ratio(r["group"], *ratio).finding if ratio else TOO_FEW
        out.append({**base, "against": against, "ratio": ratio[0] if ratio else None,
                    "ratio_low": ratio[1] if ratio else None, "ratio_high": ratio[2] if ratio else None,
                    "finding": finding, "why": why})
    result = pd.DataFrame(out, columns=COLUMNS)
    result.attrs["reference"] = _reference_words(result)
    return result


def _too_few(r: pd.Series) -> str:
    """Why a group's figure cannot be compared, or '' when it can."""
    if pd.isna(r["numerator"]) or pd.isna(r["denominator"]):
        return HIDDEN if r["suppressed"] else "not available"
    if r["denominator"] <= 0:
        return "no children in the group" if r["scale"] == 1 else "no resident population figure"
    if r["numerator"] <= 0:
        return "none counted"
    return ""


def _minus(total: pd.Series, r: pd.Series) -> tuple[int, int] | None:
    counts = int(total["numerator"] - r["numerator"]), int(total["denominator"] - r["denominator"])
    return counts if min(counts) > 0 else None


def _reference_words(result: pd.DataFrame) -> str:
    if (result["finding"] == REFERENCE).any():
        return f"{result.loc[result['finding'] == REFERENCE, 'group_label'].iloc[0]} children"
    against = [a for a in result["against"] if a]
    return against[0] if against else "all other children"


def ratios(result: pd.DataFrame) -> list[Ratio]:
    """The comparison as the sentence needs it: every group but the reference."""
    return [Ratio(r["group_label"], *(None if pd.isna(r[c]) else float(r[c]) for c in ("ratio", "ratio_low", "ratio_high")))
            for _, r in result.iterrows() if r["finding"] != REFERENCE]


def sentence(result: pd.DataFrame, measure: str, direction: str) -> str:
    return comparison_sentence(ratios(result), measure, result.attrs.get("reference", "White children"), direction)


def forest_data(result: pd.DataFrame) -> pd.DataFrame:
    """One row per group for the forest plot: ratio and interval where comparable, else a note.

    note is 'too few to compare' or 'reference group'; estimate the ratio and interval as text, and
    label the group with its estimate (the plot's row label, so no figure is drawn over a line)."""
    rows = []
    for order, (_, r) in enumerate(result.iterrows()):
        comparable = r["finding"] not in (TOO_FEW, REFERENCE)
        rows.append({
            "order": order, "group": r["group_label"] + (" (reference)" if r["finding"] == REFERENCE else ""),
            "label": r["group_label"] + (" (reference)" if r["finding"] == REFERENCE else "")
            + (f": {r['ratio']:.2f} ({r['ratio_low']:.2f} to {r['ratio_high']:.2f})" if comparable else ""),
            "ratio": float(r["ratio"]) if comparable else None,
            "low": float(r["ratio_low"]) if comparable else None,
            "high": float(r["ratio_high"]) if comparable else None,
            "note": "" if comparable else (TOO_FEW if r["finding"] == TOO_FEW else REFERENCE),
            "estimate": f"{r['ratio']:.2f} ({r['ratio_low']:.2f} to {r['ratio_high']:.2f})" if comparable else "",
            "finding": r["finding"],
        })
    return pd.DataFrame(rows, columns=["order", "group", "label", "ratio", "low", "high", "note", "estimate", "finding"])


def display_comparison(result: pd.DataFrame, population: pd.DataFrame | None = None, ratio_name: str = "Rate ratio") -> pd.DataFrame:
    """The comparison as shown and exported: rates with 95% CIs, hidden rates as 'c', every group a row."""
    pop = population.set_index("group") if population is not None else None
    rate = "Rate" if result.empty or result["scale"].iloc[0] == 1 else f"Rate per {int(result['scale'].iloc[0]):,}"
    rows = []
    for _, r in result.iterrows():
        hidden = pd.isna(r["value"]) and bool(r["suppressed"])
        shown_rate = SUPPRESSED if hidden else format_value(r["value"], r["scale"])
        ci = (SUPPRESSED if hidden else NOT_APPLICABLE) if pd.isna(r["ci_low"]) else \
            f"{format_value(r['ci_low'], r['scale'])} to {format_value(r['ci_high'], r['scale'])}"
        row = {"Ethnic group": r["group_label"]}
        if pop is not None:
            p = pop.loc[r["group"]] if r["group"] in pop.index else None
            row["Resident children"] = f"{int(p['population']):,}" if p is not None else NOT_APPLICABLE
            row["Share of resident children"] = f"{p['population_share']:.1%}" if p is not None else NOT_APPLICABLE
            share = p["need_share"] if p is not None else None
            row["Share of children in need"] = (SUPPRESSED if hidden else NOT_APPLICABLE) if share is None or pd.isna(share) \
                else f"{share:.1%}"
        comparable = r["finding"] not in (TOO_FEW, REFERENCE)
        row.update({
            rate: shown_rate, f"{rate} 95% CI": ci, "Compared with": r["against"],
            ratio_name: f"{r['ratio']:.2f}" if comparable else NOT_APPLICABLE,
            f"{ratio_name} 95% CI": f"{r['ratio_low']:.2f} to {r['ratio_high']:.2f}" if comparable else NOT_APPLICABLE,
            "What it shows": _shows(r),
        })
        rows.append(row)
    return pd.DataFrame(rows)


def _shows(r: pd.Series) -> str:
    if r["finding"] == REFERENCE:
        return "reference group: every ratio is against it"
    if r["finding"] == TOO_FEW:
        return f"{TOO_FEW} ({r['why']})" if r["why"] else TOO_FEW
    if r["finding"] == MAY_BE_CHANCE:
        return f"{MAY_BE_CHANCE} (the 95% CI includes 1)"
    return f"{r['finding']} than {r['against']}"


def population(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Resident children by major ethnic group (public census figures, so never suppressed)."""
    try:
        return con.execute("SELECT ethnic_group AS \"group\", sum(children)::BIGINT AS population "
                           "FROM stg_population GROUP BY 1 ORDER BY 1").df()
    except duckdb.CatalogException:
        return pd.DataFrame(columns=["group", "population"])


def with_population(result: pd.DataFrame, resident: pd.DataFrame, overall: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each group's share of resident children and, where its count is shown, of children in need
    (its count over the overall published count). A group with no population figure has none."""
    total_need = overall.iloc[0]["numerator"] if overall is not None and len(overall) else None
    total = resident["population"].sum()
    rows = []
    for _, r in result.iterrows():
        match = resident[resident["group"] == r["group"]]
        if match.empty or not total:
            continue
        need = None if pd.isna(r["numerator"]) or total_need is None or pd.isna(total_need) or not total_need \
            else r["numerator"] / total_need
        rows.append({"group": r["group"], "population": int(match["population"].iloc[0]),
                     "population_share": match["population"].iloc[0] / total, "need_share": need})
    return pd.DataFrame(rows, columns=["group", "population", "population_share", "need_share"])


def grid(frame: pd.DataFrame, by: tuple[str, str]) -> pd.DataFrame:
    """A two-way breakdown as heatmap cells: row and column labels, the rate, and its text
    ('c' hidden, 'z' no records), in the frame's order."""
    rows = []
    for _, r in frame.iterrows():
        first, second = str(r["group"]).split(",", 1)
        hidden = pd.isna(r["value"]) and bool(r["suppressed"])
        rows.append({"row": group_label(by[0], first), "column": group_label(by[1], second),
                     "value": None if pd.isna(r["value"]) else float(r["value"]),
                     "text": SUPPRESSED if hidden else format_value(r["value"], r["scale"]),
                     "hidden": hidden, "numerator": r["numerator"], "denominator": r["denominator"],
                     "ci_low": r["ci_low"], "ci_high": r["ci_high"], "scale": r["scale"]})
    return pd.DataFrame(rows, columns=["row", "column", "value", "text", "hidden", "numerator", "denominator",
                                       "ci_low", "ci_high", "scale"])
