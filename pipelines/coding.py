"""The review coding form: one field per `reviews` column, checked and saved exactly as a loaded file is.

Reviewers and QA leads code a rapid review (RR) or LCSPR against the Panel's analytical framework
("It's Silent", 2025, Appendix D) in the dashboard (dashboard/views/coding.py) instead of a spreadsheet.

- `fields()` is generated from the contract (schema.REVIEWS): a column's type picks the widget and an
  enum's values are the options, so a column added to the contract appears on the form without editing
  the page. What cannot be read from the schema is declared below: a plain-English label, the framework
  question the column answers (QUESTIONS, copied from Appendix D and Appendix C of the report, so nothing
  reads the briefing at run time) and labels for coded values. Indicators in catalogue.toml that count a
  column are named in its help.
- `check()` builds the one-row contract table and runs the loader's own validation (validation.validate):
  a problem comes back with the loader's column and reason.
- `save()` writes the row as a contract CSV and loads it with loader.load_file, so a save is a recorded
  load (a `loads` row, atomic swap, marts and the protected release rebuilt); the loader's
  replace-by-key makes saving an existing (partnership, review_id) an update, not a second row.
- `csv_bytes()` is that same file, for download: it loads with `python -m pipelines load`.

Nothing here imports Streamlit: the page only draws what this module declares.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl

from .catalogue import catalogue
from .config import Settings
from .loader import LoadResult, load_file
from .readers import LINE, RawTable
from .reference import MAJOR_GROUPS, ethnicity_codes
from .schema import FLAG, REVIEWS, Column, Kind
from .store import landing_table, read_connection
from .validation import validate

FORM_NAME = "coding form"  # the loader names the file in its messages; this is the form's "file"
FORM_LINE = 2  # the row's line in the CSV the form writes (line 1 is the header)
BLANK = ""  # a blank contract value: not coded / not recorded

# Sections of the form, in order; a column not listed falls into the last one.
SECTIONS: dict[str, tuple[str, ...]] = {
    "The review": ("review_id", "partnership", "review_type", "notification_date", "incident_date",
                   "progressed_to_lcspr", "panel_letter_race"),
    "The child and the harm": ("child_ethnicity", "ethnicity_source", "child_sex", "child_age_years", "outcome",
                               "harm_cause", "primary_suspect"),
    "The child's circumstances": ("disability", "neurodiverse", "mental_health", "sole_carer", "missing_education",
                                  "neet"),
    "Race, culture and identity in the review": (
        "tor_race_focus", "kloe_race_focus", "race_considered", "inequity_considered", "racism_named",
        "adultification_identified", "intersectionality", "other_protected_characteristics", "faith_recorded",
        "faith_significant", "harmful_practice", "immigration_issue"),
    "The child's voice and practice": ("child_voice_review", "child_voice_heard_practice", "child_seen_alone",
                                       "interpreter_type", "disclosure_followed_up", "risk_recognition"),
    "Learning": ("race_learning_points", "racism_recommendation"),
}
OTHER_SECTION = "Other contract columns"

LABELS: dict[str, str] = {
    "review_id": "Review reference",
    "partnership": "Safeguarding partnership",
    "review_type": "Type of review",
    "notification_date": "Serious incident notification date",
    "incident_date": "Date of the serious incident",
    "child_ethnicity": "Child's ethnicity",
    "ethnicity_source": "Where the child's ethnicity is recorded",
    "child_sex": "Child's sex",
    "child_age_years": "Child's age at the incident (years)",
    "outcome": "Outcome",
    "harm_cause": "Cause of death or serious harm",
    "primary_suspect": "Likely primary suspect (relationship to the child)",
    "disability": "Child has a disability",
    "neurodiverse": "Child is neurodiverse",
    "mental_health": "Child has a mental health condition",
    "sole_carer": "Child cared for by a sole parent",
    "missing_education": "Child missing education (under 16)",
    "neet": "Child not in education, employment or training (16 to 17)",
    "progressed_to_lcspr": "Rapid review progressed to an LCSPR",
    "kloe_race_focus": "Key lines of enquiry focus on race, ethnicity or culture",
    "tor_race_focus": "Terms of reference focus on race, culture or bias",
    "race_considered": "Reviewer considered race, ethnicity and culture",
    "inequity_considered": "Reviewer considered systemic inequity",
    "racism_named": "Racism named or examined",
    "adultification_identified": "Adultification identified",
    "intersectionality": "Intersectionality",
    "other_protected_characteristics": "Other protected characteristics included",
    "faith_recorded": "Religion or cultural features recorded",
    "faith_significant": "Religion or cultural features significant to the case",
    "harmful_practice": "Harmful practice present",
    "immigration_issue": "Immigration status an issue",
    "child_voice_review": "Child's voice considered in the review",
    "child_voice_heard_practice": "Practitioners sought the child's wishes and feelings",
    "child_seen_alone": "Child seen alone",
    "interpreter_type": "Main interpreting arrangement in practice",
    "disclosure_followed_up": "Child's disclosure of harm followed up",
    "risk_recognition": "Risk to the child recognised",
    "race_learning_points": "Learning points specific to race, ethnicity or culture",
    "racism_recommendation": "Recommendation on racism or racial bias",
    "panel_letter_race": "Panel's letter refers to race, ethnicity or culture",
}

# The framework question each column answers: Appendix D ("Analytical framework") of the report, or, for the
# child's characteristics, the Appendix C tables and charts the Panel counted them for.
_CHARACTERISTICS = ("What are the characteristics of the lives and needs of children and their families who are "
                    "the focus of reviews? (Appendix C)")
_PROTECTED = ("Does the review include relevant race, culture, religion or other inequality-related information "
              "(inclusion of relevant protected characteristics)?")
_TOR = "Does the Terms of Reference include any specific focus/questions related to race/culture/bias, including racism?"
_LEARNING = ("Does the review identify any specific learning points/recommendations related to race/ethnicity/culture? "
             "If yes, please provide details.")
QUESTIONS: dict[str, str] = {
    "review_id": "The partnership's own reference for this review: how the review is found again to edit it.",
    "partnership": "The safeguarding partnership that holds the review.",
    "review_type": "Is this a rapid review (RR) or a local child safeguarding practice review (LCSPR)? (Appendix C, Table C1)",
    "notification_date": ("When was the serious incident notified (SiN)? Its financial year (April to March) is the "
                          "review's reporting year. (Appendix C, Table C1)"),
    "incident_date": "When did the serious incident happen? It cannot be after the notification date.",
    "child_ethnicity": f"{_PROTECTED} Here: the ethnicity of the child in focus. (Appendix C, Tables C2 to C4)",
    "ethnicity_source": (f"{_PROTECTED} Here: is the child's ethnicity recorded in the review itself, or only in "
                         "the serious incident notification (SiN)?"),
    "child_sex": f"{_CHARACTERISTICS} Here: the sex of the child (Table C5).",
    "child_age_years": f"{_CHARACTERISTICS} Here: the child's age at the incident, 0 to 17 (Table C6).",
    "outcome": f"{_CHARACTERISTICS} Here: the nature of harm, death or serious harm (Table C7).",
    "harm_cause": f"{_CHARACTERISTICS} Here: the cause of death or serious harm identified within the review (Table C8).",
    "primary_suspect": f"{_CHARACTERISTICS} Here: the likely primary suspect of harm (Table C9).",
    "disability": f"{_CHARACTERISTICS} Here: the disability status of the child (Chart C1).",
    "neurodiverse": f"{_CHARACTERISTICS} Here: was the child identified as being neurodiverse? (Chart C2)",
    "mental_health": f"{_CHARACTERISTICS} Here: was the child identified as having a mental health condition? (Chart C3)",
    "sole_carer": f"{_CHARACTERISTICS} Here: was the child cared for by a sole parent? (Chart C5)",
    "missing_education": f"{_CHARACTERISTICS} Here: was the child (under 16) missing education? (Chart C6)",
    "neet": (f"{_CHARACTERISTICS} Here: was the child (16 to 17) not in education, employment or training? "
             "(Chart C7)"),
    "progressed_to_lcspr": "Rapid reviews: did the rapid review progress to an LCSPR?",
    "kloe_race_focus": (f"{_TOR} Applied to the key lines of enquiry set when a rapid review progresses to an LCSPR "
                        "(rapid reviews that progressed)."),
    "tor_race_focus": f"{_TOR} (LCSPRs: their terms of reference.)",
    "race_considered": ("Does the review(er) consider culture/race/ethnicity in terms of its impacts on the child(ren) "
                        "or the patterns of abuse and neglect? If so, how?"),
    "inequity_considered": "Does the review(er) consider wider implications of inequity that are/may be systemic in nature?",
    "racism_named": ("Is racism highlighted by reviewers as potentially motivating professionals' responses? Is there "
                     "evidence of racism that has not been identified and challenged by the reviewer?"),
    "adultification_identified": (
        "Is there evidence that children were seen as having more autonomy over their behaviour and thus were more "
        "culpable for their behaviours. And/or is there evidence that children and their families were considered "
        "more responsible for managing their behaviour?"),
    "intersectionality": ("Have inequalities and these combined experiences of oppression (intersectionality), been "
                          "explored by reviewers or is there evidence these were explored by practitioners and leaders "
                          "where relevant?"),
    "other_protected_characteristics": f"{_PROTECTED} Here: protected characteristics beyond age and ethnicity.",
    "faith_recorded": ("Is religion or are other cultural features (such as trans-generational trauma) recorded, or "
                       "mentioned within SiN, rapid review, or LCSPR?"),
    "faith_significant": "Is religion or are other cultural features mentioned as being significant to the case?",
    "harmful_practice": ("Was there evidence of harmful practices (FGM/C, faith-based abuse, spiritual abuse etc.) "
                         "within the review? Where relevant, is there evidence these practices were appropriately "
                         "identified and responded to?"),
    "immigration_issue": ("Were issues of immigration status present within the review. For example, individuals with "
                          "no recourse to public funds? Where relevant, are immigration issues explored thoroughly in "
                          "terms of the possibility of this being a risk factor for the children?"),
    "child_voice_review": ("Was child's voice considered in the rapid review meeting (or the LCSPR report)? "
                           "Children under 3 are excluded from the rate."),
    "child_voice_heard_practice": "Is there evidence that the child's wishes and feelings had been sought?",
    "child_seen_alone": "Is there evidence the child was spoken to alone (if relevant)?",
    "interpreter_type": (
        "Are there any themes/issues relating to interpreters/use of interpreters evident? Or did professionals "
        "utilise a neighbour/family member (including another child) etc. as an interpreter? (Did language barriers "
        "prevent the child's voice from being heard, including inadequate resources? Where someone in the community "
        "was used, has this been justified?)"),
    "disclosure_followed_up": ("Is there evidence that children and their families were ignored/dismissed by "
                               "practitioners (invisibilisation)? Here: were the child's disclosures of harm followed up?"),
    "risk_recognition": "Was risk to/vulnerability of the child understood?",
    "race_learning_points": _LEARNING,
    "racism_recommendation": f"{_LEARNING} Here: a recommendation on racism or racial bias.",
    "panel_letter_race": "Does the letter from the Panel refer to race/ethnicity/culture?",
}

# Plain-English labels for coded values; a value not listed is shown as its code, spaced and capitalised.
FLAG_LABELS = {"Y": "Yes", "N": "No"}
VALUE_LABELS: dict[str, dict[str, str]] = {
    "review_type": {"RR": "Rapid review (RR)", "LCSPR": "Local child safeguarding practice review (LCSPR)"},
    "ethnicity_source": {"review": "Recorded in the review", "sin": "Only in the serious incident notification",
                         "not_recorded": "Not recorded"},
    "child_sex": {"M": "Male", "F": "Female", "U": "Unknown or not stated"},
    "outcome": {"death": "Death", "serious_harm": "Serious harm"},
    "tor_race_focus": {"yes": "Yes", "no": "No", "unclear": "Unclear", "no_tor": "No terms of reference"},
    "race_considered": {"none": "Not considered", "partial": "Considered in part", "consistent": "Considered consistently"},
    "intersectionality": {"none": "Not considered", "in_isolation": "Identities considered in isolation",
                          "applied": "Applied: identities considered together"},
    "child_voice_review": {"considered": "Considered", "partial": "Partly considered", "not_considered": "Not considered",
                           "under_3": "Child under 3 (not counted in the rate)"},
    "child_seen_alone": {"not_applicable": "Not applicable"},
    "interpreter_type": {"not_needed": "Not needed", "professional": "Professional interpreter (in person, phone or video)",
                         "family_member": "A family member", "child": "The child or a sibling",
                         "community_member": "A community member", "needed_not_provided": "Needed, not provided",
                         "unknown": "Not known"},
    "disclosure_followed_up": {"Y": "Yes, followed up", "N": "No, not followed up", "no_disclosure": "No disclosure"},
    "risk_recognition": {"no_prior_concerns": "No prior concerns", "recognised_not_acted": "Recognised, not acted on",
                         "recognised_acted": "Recognised and acted on", "not_recognised": "Not recognised",
                         "unclear": "Unclear"},
    "panel_letter_race": {"no_letter": "No letter from the Panel"},
}
BLANK_LABELS = {"flag": "Not coded", "select": "Not coded", "ethnicity": "Not recorded"}
REQUIRED_BLANK = "Choose…"  # the blank option of a required select: choosing nothing is the loader's "missing"
PLACEHOLDERS = {"harm_cause": "e.g. Non-fatal assault – Extrafamilial", "primary_suspect": "e.g. Mother, Stranger",
                "partnership": "e.g. Northbridge Safeguarding Children Partnership"}
NO_NAMES = ("Do not enter names or anything else that identifies a person: it is free text, stored as typed. "
            "Describe instead (for example a relationship or a kind of harm).")
NOT_A_CHILD_ID = ("A review reference, never the child's name or a case-system number that identifies the child.")


@dataclass(frozen=True)
class Field:
    """One form field: a contract column, how it is asked and what it may hold."""
    column: Column
    label: str
    question: str  # the framework question it answers: the field's help
    widget: str  # text | select | flag | date | ethnicity | age | count
    options: tuple[tuple[str, str], ...] = ()  # (contract value, label) for selects; BLANK first
    section: str = OTHER_SECTION
    indicators: tuple[str, ...] = ()  # catalogue indicators that count the column
    warning: str = ""  # what must never be typed here
    placeholder: str = ""

    @property
    def name(self) -> str:
        return self.column.name

    @property
    def required(self) -> bool:
        return self.column.required

    @property
    def help(self) -> str:
        parts = [self.question]
        if self.warning:
            parts.append(f"**{self.warning}**")
        if self.indicators:
            parts.append("Counted in: " + ", ".join(self.indicators) + ".")
        parts.append(f"Contract column `{self.name}`" + (" (required)." if self.required else "."))
        return "\n\n".join(parts)

    def option_label(self, value: str) -> str:
        return dict(self.options).get(value, value)


@dataclass(frozen=True)
class Problem:
    """A value the loader would quarantine: its column and the loader's own reason."""
    column: str | None  # None: the row as a whole
    label: str
    reason: str

    @property
    def message(self) -> str:
        where = f"{self.label} ({self.column})" if self.column else "The row"
        return f"{where}: {self.reason}"


@dataclass
class Saved:
    """What a save did: invalid (nothing saved), added, updated, unchanged or failed."""
    status: str
    problems: list[Problem] = field(default_factory=list)
    result: LoadResult | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("added", "updated", "unchanged")

    @property
    def message(self) -> str:
        if self.status == "invalid":
            return "Not saved: " + "; ".join(p.message for p in self.problems)
        if self.status == "failed":
            return "Not saved: " + (self.result.message if self.result else "the load failed")
        if self.status == "unchanged":
            return "Nothing changed: the review is already stored exactly as coded."
        verb = "added" if self.status == "added" else "updated (its earlier coding was replaced)"
        return f"Review {verb}: load {self.result.load_id}. The other pages now show the new figures."


def _label(column: Column) -> str:
    return LABELS.get(column.name) or column.name.replace("_", " ").capitalize()


def _value_label(column: str, value: str) -> str:
    known = VALUE_LABELS.get(column, {})
    if value in known:
        return known[value]
    if value in FLAG_LABELS:
        return FLAG_LABELS[value]
    return value.replace("_", " ").capitalize()


def counting_indicators(column: str, kind: Kind = REVIEWS) -> tuple[str, ...]:
    """Catalogue indicators on the kind's fact table whose numerator or denominator names the column."""
    word = re.compile(rf"\b{re.escape(column)}\b")
    return tuple(i.id for i in catalogue() if i.fact.name == kind.fact
                 and (word.search(i.numerator_sql) or word.search(i.denominator_sql)))


def _question(column: Column, kind: Kind, indicators: tuple[str, ...]) -> str:
    if column.name in QUESTIONS:
        return QUESTIONS[column.name]
    asked = [i.question for i in catalogue() if i.id in indicators]
    return asked[0] if asked else (f"Not yet linked to a framework question: see docs/data-contract.md for what "
                                   f"`{column.name}` records.")


def _widget(column: Column) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The widget a column's type calls for, and a select's options (blank first)."""
    if column.type == "enum":
        widget = "flag" if set(column.values) == set(FLAG) else "select"
        blank = REQUIRED_BLANK if column.required else BLANK_LABELS[widget]
        return widget, ((BLANK, blank), *((v, _value_label(column.name, v)) for v in column.values))
    if column.type == "ethnicity":
        codes = ((code, f"{label} ({code})") for code, (label, _) in ethnicity_codes().items())
        return "ethnicity", ((BLANK, REQUIRED_BLANK if column.required else BLANK_LABELS["ethnicity"]), *codes)
    if column.type == "ethnic_group":
        return "select", ((BLANK, REQUIRED_BLANK if column.required else BLANK_LABELS["select"]),
                          *((g, g) for g in MAJOR_GROUPS))
    if column.type in ("date", "age", "count"):
        return column.type, ()
    return "text", ()  # text, reference, label; a child_id or birth month would never be asked on this form


@cache
def fields(kind: Kind = REVIEWS) -> tuple[Field, ...]:
    """One field per contract column, in the contract's order."""
    section_of = {c: s for s, cols in SECTIONS.items() for c in cols}
    out = []
    for column in kind.columns:
        widget, options = _widget(column)
        indicators = counting_indicators(column.name, kind)
        warning = NO_NAMES if column.type == "text" else NOT_A_CHILD_ID if column.type == "reference" else ""
        out.append(Field(column, _label(column), _question(column, kind, indicators), widget, options,
                         section_of.get(column.name, OTHER_SECTION), indicators, warning,
                         PLACEHOLDERS.get(column.name, "")))
    return tuple(out)


def _fields_by_name(kind: Kind = REVIEWS) -> dict[str, Field]:
    return {f.name: f for f in fields(kind)}


def sections(kind: Kind = REVIEWS) -> dict[str, tuple[Field, ...]]:
    """The fields grouped for the page, in SECTIONS' order; columns no section lists last, in the contract's order."""
    place = {c: n for n, c in enumerate(c for cols in SECTIONS.values() for c in cols)}
    grouped: dict[str, list[Field]] = {name: [] for name in (*SECTIONS, OTHER_SECTION)}
    for f in sorted(fields(kind), key=lambda f: place.get(f.name, len(place))):
        grouped[f.section].append(f)
    return {name: tuple(fs) for name, fs in grouped.items() if fs}


def contract_text(value: object) -> str:
    """A form value as the contract writes it: ISO dates, whole numbers, text as typed; blank for nothing."""
    if value is None:
        return BLANK
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def row(values: Mapping[str, object], kind: Kind = REVIEWS) -> dict[str, str]:
    """The contract row, every column in order (blank where the form has nothing)."""
    unknown = set(values) - {c.name for c in kind.columns}
    if unknown:
        raise KeyError(f"not columns of {kind.name}: {', '.join(sorted(unknown))}")
    return {c.name: contract_text(values.get(c.name)) for c in kind.columns}


def table(values: Mapping[str, object], kind: Kind = REVIEWS) -> RawTable:
    """The one-row table the loader's validation takes: all text, as a CSV reader would hand it over."""
    text = row(values, kind)
    frame = pl.DataFrame({name: [v] for name, v in text.items()}, schema={n: pl.String for n in text})
    return RawTable(frame.with_columns(pl.Series(LINE, [FORM_LINE], dtype=pl.Int64)), excel=False, bad_rows=[])


def check(values: Mapping[str, object], kind: Kind = REVIEWS, today: dt.date | None = None) -> list[Problem]:
    """Every problem the loader would quarantine the row for (validation.validate: pure, no database)."""
    _, problems, _ = validate(table(values, kind), kind, FORM_NAME, today or dt.date.today())
    by_name = _fields_by_name(kind)
    order = {name: n for n, name in enumerate(by_name)}
    found = [Problem(p["column"], by_name[p["column"]].label if p["column"] in by_name else "The row", p["reason"])
             for p in problems.iter_rows(named=True)]
    return sorted(found, key=lambda p: order.get(p.column, -1))  # in the form's order


def csv_bytes(values: Mapping[str, object], kind: Kind = REVIEWS) -> bytes:
    """The form as a contract CSV: header = the contract's columns, one row. UTF-8 with a byte-order mark so
    Excel shows accented and other non-ASCII text; the loader accepts it either way. Values are written as
    entered (not neutralised for spreadsheets as report exports are): this file is data to load again."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    text = row(values, kind)
    writer.writerow(text.keys())
    writer.writerow(text.values())
    return out.getvalue().encode("utf-8-sig")


def file_name(values: Mapping[str, object]) -> str:
    """A download's name: the partnership and the day, never the review reference (it identifies a record)."""
    partnership = re.sub(r"[^A-Za-z0-9]+", "-", contract_text(values.get("partnership")).strip()).strip("-").lower()
    return f"review-coding-{partnership or 'form'}-{dt.date.today().isoformat()}.csv"


def _key_values(values: Mapping[str, object], kind: Kind) -> list[str]:
    return [contract_text(values.get(k)).strip() for k in kind.key]


def exists(db_path: Path, values: Mapping[str, object], kind: Kind = REVIEWS) -> bool:
    """Whether the form's key is already stored (a save would replace it)."""
    if not db_path.exists():
        return False
    where = " AND ".join(f'"{k}" = ?' for k in kind.key)
    with read_connection(db_path) as con:
        return bool(con.execute(f"SELECT count(*) FROM {landing_table(kind)} WHERE {where}",
                                _key_values(values, kind)).fetchone()[0])


def stored_keys(db_path: Path, kind: Kind = REVIEWS) -> list[tuple[str, ...]]:
    """The keys of the stored reviews (partnership, review_id), to pick one to edit."""
    if not db_path.exists():
        return []
    keys = ", ".join(f'"{k}"' for k in kind.key)
    with read_connection(db_path) as con:
        return [tuple(r) for r in con.execute(f"SELECT DISTINCT {keys} FROM {landing_table(kind)} ORDER BY {keys}")
                .fetchall()]


def stored_values(db_path: Path, key: tuple[str, ...], kind: Kind = REVIEWS) -> dict[str, object] | None:
    """One stored review's values by column (typed: dates, ages), to pre-fill the form; None if not stored."""
    if not db_path.exists():
        return None
    columns = ", ".join(f'"{c.name}"' for c in kind.columns)
    where = " AND ".join(f'"{k}" = ?' for k in kind.key)
    with read_connection(db_path) as con:
        found = con.execute(f"SELECT {columns} FROM {landing_table(kind)} WHERE {where} "
                            "ORDER BY load_id DESC LIMIT 1", list(key)).fetchone()
    return dict(zip((c.name for c in kind.columns), found)) if found else None


def save(values: Mapping[str, object], settings: Settings, display_name: str | None = None,
         kind: Kind = REVIEWS) -> Saved:
    """Check the row as the loader does; if it passes, load it as a one-row contract CSV.

    An invalid row saves nothing (no load is recorded, the database is untouched). A valid one goes through
    loader.load_file like any uploaded file; an existing key is replaced, not duplicated."""
    problems = check(values, kind)
    if problems:
        return Saved("invalid", problems)
    existed = exists(settings.db_path, values, kind)
    partnership = contract_text(values.get("partnership")).strip()
    name = display_name or f"{FORM_NAME}: {partnership}"
    with tempfile.TemporaryDirectory(prefix="pm-coding-") as folder:
        path = Path(folder) / "review.csv"
        path.write_bytes(csv_bytes(values, kind))
        result = load_file(path, settings, kind.name, display_name=name)
    if result.status == "unchanged":
        return Saved("unchanged", result=result)
    if result.status != "loaded" or result.rows_loaded != 1 or not _kept(settings.db_path, result.load_id, kind):
        # failed, quarantined (the row passed check(), so only if the day turned), or lost to a row from a
        # source dated later (loader._replace_older): the load is recorded, the review is not stored
        why = result.message if result.status == "failed" else result.summary()
        return Saved("failed", [], LoadResult(result.file, result.kind, "failed", message=why, load_id=result.load_id))
    return Saved("updated" if existed else "added", result=result)


def _kept(db_path: Path, load_id: int | None, kind: Kind) -> bool:
    """Whether the load's row is the one now stored."""
    with read_connection(db_path) as con:
        return bool(con.execute(f"SELECT count(*) FROM {landing_table(kind)} WHERE load_id = ?", [load_id]).fetchone()[0])
