"""What the pages show, as plain tables: the layer between metrics and the dashboard.

No Streamlit here, so the tests can check that a page's numbers are exactly
the CLI's. Every figure comes from metrics.compute (and so is suppressed the
same way); the tables here only add labels, intervals and the national figure.
"""
from __future__ import annotations

import duckdb
import pandas as pd

from . import metrics
from .catalogue import Indicator, by_id, catalogue, national_breakdown
from .metrics import Filters, Table
from .reference import ethnicity_codes
from .stats import rate_ratio, wilson

SUPPRESSED = "c"  # DfE symbol for a confidential cell
NOT_APPLICABLE = "z"
DIMENSION_LABELS = {
    "ethnic_group": "Ethnic group", "ethnicity": "Ethnicity", "sex": "Sex", "age_band": "Age band",
    "review_type": "Review type", "reporting_year": "Reporting year", "agency": "Agency", "month": "Month",
    "sample_group": "As the national sample",
}
GROUP_LABELS = {
    "sex": {"M": "Male", "F": "Female", "U": "Not known"},
    "age_band": {"under_1": "Under 1", "1_5": "1 to 5", "6_10": "6 to 10", "11_15": "11 to 15", "16_17": "16 to 17"},
    "agency": {"social_care": "Children's social care", "police": "Police", "health": "Health",
               "education": "Education", "other": "Other"},
    "review_type": {"RR": "Rapid review", "LCSPR": "LCSPR"},
    "sample_group": {"Black or Asian or Mixed": "Black, Asian or Mixed Heritage", "Other groups": "White, Other or not known"},
}


def group_label(dim: str, value: str) -> str:
    if dim == "ethnicity":
        label = ethnicity_codes().get(value, (value, ""))[0]
        return f"{label} ({value})"
    return GROUP_LABELS.get(dim, {}).get(value, value)


FRAME_COLUMNS = ["indicator", "label", "short_label", "by", "group", "group_label", "numerator", "denominator", "value",
                 "ci_low", "ci_high", "suppressed", "national", "direction", "scale", "sql"]


def indicator_frame(con: duckdb.DuckDBPyConnection, by: Table = (), filters: Filters = Filters(),
                    show_small: bool = False, threshold: int = 5, indicators: list[Indicator] | None = None) -> pd.DataFrame:
    """One row per indicator and group, numbers hidden where suppressed unless show_small.

    Default output is the protected release's; what it does not publish for this selection is
    left out, and why is in frame.attrs["withheld"]."""
    meta = {i.id: i for i in catalogue()}
    rows, withheld = [], []
    for cell in metrics.compute(con, by, filters, indicators, threshold, protected=not show_small, withheld=withheld):
        ind = meta[cell.indicator]
        shown = show_small or not cell.suppressed
        ci = wilson(cell.numerator, cell.denominator) if shown else None
        national = _national(ind, by, cell.group)
        rows.append({
            "indicator": ind.id, "label": ind.label, "short_label": ind.short_label,
            "by": ",".join(by) or None, "group": ",".join(cell.group) if by else None,
            "group_label": ", ".join(group_label(d, g) for d, g in zip(by, cell.group)) if by else "All",
            "numerator": cell.numerator if shown else None, "denominator": cell.denominator if shown else None,
            "value": cell.value if shown else None,
            "ci_low": ci[0] * ind.scale if ci else None, "ci_high": ci[1] * ind.scale if ci else None,
            "suppressed": cell.suppressed, "national": national, "direction": ind.direction,
            "scale": ind.scale, "sql": cell.sql,
        })
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    frame.attrs["withheld"] = withheld
    return frame


def _national(ind: Indicator, by: Table, group: tuple[str, ...]) -> float | None:
    if not by:
        return ind.national_value
    if len(by) == 1:
        figures = national_breakdown(ind.id, by[0]).get(group[0])
        return figures[0] / figures[1] * ind.scale if figures else None
    return None


def format_value(value: float | None, scale: int) -> str:
    if value is None or pd.isna(value):
        return NOT_APPLICABLE
    return f"{value:.1f}" if scale != 1 else f"{value:.1%}"


def display_table(frame: pd.DataFrame, first_column: str = "Group") -> pd.DataFrame:
    """The table a page shows and exports: suppressed cells as 'c', rates formatted, plain headings."""
    def cell(row: pd.Series, name: str) -> str:
        if pd.isna(row[name]):
            return SUPPRESSED if row["suppressed"] and name != "national" else NOT_APPLICABLE
        if name in ("numerator", "denominator"):
            return f"{int(row[name]):,}"
        return format_value(row[name], row["scale"])

    headings = {"numerator": "Numerator", "denominator": "Denominator", "value": "Rate", "ci_low": "95% CI low",
                "ci_high": "95% CI high", "national": "National (It's Silent)"}
    rows = [{"Indicator": r["label"], first_column: r["group_label"], **{h: cell(r, n) for n, h in headings.items()}}
            for _, r in frame.iterrows()]
    return pd.DataFrame(rows, columns=["Indicator", first_column, *headings.values()])


def rate_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """Each ethnic group's rate against White children (or all other children where White is hidden)."""
    rows = []
    shown = frame.dropna(subset=["numerator", "denominator"])
    for _, r in shown.iterrows():
        ref = shown[shown["group"] == "White"]
        if r["group"] == "White" or ref.empty:
            ref, against = shown[shown["group"] != r["group"]], "all other children"
        else:
            against = "White children"
        result = rate_ratio(int(r["numerator"]), int(r["denominator"]),
                            int(ref["numerator"].sum()), int(ref["denominator"].sum())) if not ref.empty else None
        rows.append({"Group": r["group_label"], "Compared with": against,
                     "Rate ratio": f"{result[0]:.2f}" if result else NOT_APPLICABLE,
                     "95% CI": f"{result[1]:.2f} to {result[2]:.2f}" if result else NOT_APPLICABLE})
    return pd.DataFrame(rows, columns=["Group", "Compared with", "Rate ratio", "95% CI"])


INTERPRETER_ARRANGEMENTS = {"practice.interpreter_professional": "Professional",
                            "practice.interpreter_informal": "Informal (family, child or community)",
                            "practice.interpreter_not_provided": "Not provided"}


def interpreter_mix(con: duckdb.DuckDBPyConnection, filters: Filters, show_small: bool, threshold: int = 5) -> pd.DataFrame:
    """Episodes needing an interpreter, by agency and who interpreted: the interpreter indicators'
    cells by agency, so the chart shows exactly what the release publishes."""
    chosen = [by_id(i) for i in INTERPRETER_ARRANGEMENTS]
    frame = indicator_frame(con, ("agency",), filters, show_small, threshold, chosen)
    rows = [{"Agency": r["group_label"], "Interpreter": INTERPRETER_ARRANGEMENTS[r["indicator"]],
             "Episodes": r["numerator"], "Share": r["value"], "suppressed": r["suppressed"]} for _, r in frame.iterrows()]
    return pd.DataFrame(rows, columns=["Agency", "Interpreter", "Episodes", "Share", "suppressed"])


def display_mix(mix: pd.DataFrame) -> pd.DataFrame:
    """The interpreter table as shown and exported: hidden cells as 'c'."""
    return mix.drop(columns="suppressed").assign(
        Episodes=[SUPPRESSED if pd.isna(n) else f"{int(n):,}" for n in mix["Episodes"]],
        Share=[SUPPRESSED if pd.isna(v) else f"{v:.1%}" for v in mix["Share"]])


def options(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Values the sidebar filters offer, from whatever is loaded."""
    def values(sql: str) -> list[str]:
        try:
            return [r[0] for r in con.execute(sql).fetchall() if r[0] is not None]
        except duckdb.CatalogException:
            return []
    years = values("SELECT DISTINCT reporting_year FROM fct_review UNION SELECT DISTINCT reporting_year FROM fct_episode ORDER BY 1")
    return {"partnership": values("SELECT DISTINCT partnership FROM fct_review ORDER BY 1"),
            "reporting_year": years,
            "agency": values("SELECT DISTINCT agency FROM fct_child_record UNION SELECT DISTINCT agency FROM fct_episode ORDER BY 1")}
