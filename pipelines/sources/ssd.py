"""The Standard Safeguarding Dataset (data-to-insight's ssd-data-model) as CSV, one SSD table per file.

Liquidlogic, Mosaic and Eclipse authorities run the same SSD extract; each table saved as CSV is
recognised by its column names (`pers_person_id`... is `ssd_person`), whatever the file is called.
Loaded (docs/sources/ssd.md says column by column):

- ssd_person -> children (agency social_care)
- ssd_cin_visits, ssd_cp_visits -> episodes cin_visit / cp_visit, with child seen and seen alone
- ssd_cin_episodes -> referrals, and an episode of type referral
- ssd_cin_assessments, ssd_s47_enquiry, ssd_cin_plans, ssd_cp_plans -> episodes
  assessment (child seen), s47, cin_plan, cp_plan

A Part holds only contract columns: names, UPN, NHS number (pers_single_unique_id), legacy ids,
JSON outcome blobs, workers and teams never leave this module. Other SSD tables are recognised
and refused by name, so a whole extract folder can be given to `load` and each file says what
became of it. Values are tidied only where the SSD's own format differs from the contract
(SQL Server timestamps, SSMS's literal NULL, sex words, padded ethnicity codes); anything
else is passed on as sent, for the validator to quarantine with the SSD column's name.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain

import polars as pl

from ..readers import LINE, FileProblem, RawTable
from ..reference import ethnicity_codes
from ..schema import KINDS
from . import Batch, Context, Part, Source

AGENCY = "social_care"
DOCS = "docs/sources/ssd.md"

# SQL Server's datetime as text (`2024-05-02 14:30:00.000`), also with a T, no seconds or no time;
# and the same after a round trip through Excel (`02/05/2024 14:30`). Only the date is kept.
ISO_STAMP = r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?)?$"
UK_STAMP = r"^(\d{1,2}/\d{1,2}/\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?)?$"
# ssd_person.pers_sex (stat-return sex) or, when blank, pers_gender: Liquidlogic sends codes,
# Mosaic the lookup's description. I (indeterminate) and the unknowns are the contract's U.
SEX = {"M": "M", "MALE": "M", "F": "F", "FEMALE": "F", "U": "U", "UNKNOWN": "U", "NOT KNOWN": "U",
       "NOT STATED": "U", "NOT SPECIFIED": "U", "I": "U", "INDETERMINATE": "U"}


def _clean(raw: pl.Expr) -> pl.Expr:
    """Trimmed text; blank and SQL Server Management Studio's literal `NULL` are null."""
    text = raw.str.strip_chars()
    return pl.when((text != "") & (text.str.to_uppercase() != "NULL")).then(text)


def _as_is(value: pl.Expr) -> pl.Expr:
    return value


def _date(value: pl.Expr) -> pl.Expr:
    """The date part of a timestamp, when that date exists; else the text as sent, which the
    validator then quarantines naming the value the file holds."""
    iso, uk = value.str.extract(ISO_STAMP, 1), value.str.extract(UK_STAMP, 1)
    valid = pl.coalesce(iso.str.to_date("%Y-%m-%d", strict=False), uk.str.to_date("%d/%m/%Y", strict=False))
    return pl.when(valid.is_not_null()).then(pl.coalesce(iso, uk)).otherwise(value)


def _sex(value: pl.Expr) -> pl.Expr:
    return value.str.to_uppercase().str.replace_all(r"\s+", " ").replace_strict(SEX, default=value)


def _ethnicity(value: pl.Expr) -> pl.Expr:
    """A DfE code padded or split by spaces, in any case (`wbri `, `W BRI`) -> the code; anything
    else (Mosaic sends the description) goes on as sent: the validator maps DfE labels."""
    compact = value.str.replace_all(r"\s+", "").str.to_uppercase()
    return pl.when(compact.is_in(list(ethnicity_codes()))).then(compact).otherwise(value)


@dataclass(frozen=True)
class Field:
    """A contract column from an SSD column: the first of `sources` the file has and is not blank
    on the row (several only where SSD versions or fields differ), converted."""
    sources: tuple[str, ...]
    convert: Callable[[pl.Expr], pl.Expr] = _as_is
    prefix: str = ""  # put before a record id, so ids of different tables never collide

    def expr(self, present: list[str], name: str) -> pl.Expr:
        value = self.convert(pl.coalesce([_clean(pl.col(s)) for s in present]))
        if self.prefix:
            value = pl.when(value.is_not_null()).then(pl.lit(self.prefix) + value)
        return value.cast(pl.String).alias(name)


def _f(*sources: str, convert: Callable[[pl.Expr], pl.Expr] = _as_is, prefix: str = "") -> Field:
    return Field(sources, convert, prefix)


@dataclass(frozen=True)
class Output:
    kind: str
    fields: dict[str, Field]
    constants: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Table:
    name: str
    ids: tuple[str, ...]  # the table's own record id (a name no other SSD table uses): enough to recognise it
    columns: tuple[str, ...]  # the table's columns in the SSD (any version, any system): recognition only
    outputs: tuple[Output, ...]

    def required(self) -> list[tuple[str, ...]]:
        """Every SSD column read, or its alternatives: a file without one is refused, not loaded
        half-empty (a person file without pers_ethnicity would make every child 'Not known')."""
        return list(dict.fromkeys(f.sources for o in self.outputs for f in o.fields.values()))


def _episode(id_column: str | tuple[str, ...], prefix: str, person: str, date: str, episode_type: str,
             **flags: str) -> Output:
    ids = (id_column,) if isinstance(id_column, str) else id_column
    return Output("episodes", {"episode_id": _f(*ids, prefix=prefix), "child_id": _f(person),
                               "episode_date": _f(date, convert=_date),
                               **{column: _f(source) for column, source in flags.items()}},
                  {"agency": AGENCY, "episode_type": episode_type})


TABLES = (
    Table("ssd_person", ("pers_person_id",),
          ("pers_legacy_id", "legacy_id", "pers_person_id", "pers_upn", "pers_forename", "pers_surname", "pers_sex",
           "pers_gender", "pers_ethnicity", "pers_dob", "pers_single_unique_id", "pers_common_child_id",
           "pers_upn_unknown", "pers_send_flag", "pers_expected_dob", "pers_death_date", "pers_is_mother",
           "pers_nationality"),
          (Output("children", {"child_id": _f("pers_person_id"), "sex": _f("pers_sex", "pers_gender", convert=_sex),
                               "ethnicity": _f("pers_ethnicity", convert=_ethnicity),
                               "date_of_birth": _f("pers_dob", convert=_date)},
                  {"agency": AGENCY}),)),
    Table("ssd_cin_visits", ("cinv_cin_visit_id",),
          ("cinv_cin_visit_id", "cinv_person_id", "cinv_cin_plan_id", "cinv_cin_visit_date", "cinv_cin_visit_seen",
           "cinv_cin_visit_seen_alone", "cinv_cin_visit_bedroom"),
          (_episode("cinv_cin_visit_id", "cinv-", "cinv_person_id", "cinv_cin_visit_date", "cin_visit",
                    child_seen="cinv_cin_visit_seen", seen_alone="cinv_cin_visit_seen_alone"),)),
    Table("ssd_cp_visits", ("cppv_cp_visit_id",),
          ("cppv_cp_visit_id", "cppv_person_id", "cppv_cp_plan_id", "cppv_cp_visit_date", "cppv_cp_visit_seen",
           "cppv_cp_visit_seen_alone", "cppv_cp_visit_bedroom"),
          (_episode("cppv_cp_visit_id", "cppv-", "cppv_person_id", "cppv_cp_visit_date", "cp_visit",
                    child_seen="cppv_cp_visit_seen", seen_alone="cppv_cp_visit_seen_alone"),)),
    Table("ssd_cin_episodes", ("cine_referral_id",),
          ("cine_referral_id", "cine_person_id", "cine_referral_date", "cine_cin_primary_need_code",
           "cine_referral_source_code", "cine_referral_source_desc", "cine_referral_outcome_json", "cine_referral_nfa",
           "cine_close_reason", "cine_close_date", "cine_referral_team", "cine_referral_worker_id"),
          (Output("referrals", {"child_id": _f("cine_person_id"), "referral_date": _f("cine_referral_date", convert=_date),
                                "referral_nfa": _f("cine_referral_nfa"), "primary_need": _f("cine_cin_primary_need_code"),
                                "closure_date": _f("cine_close_date", convert=_date)},
                  {"agency": AGENCY}),
           _episode("cine_referral_id", "cine-", "cine_person_id", "cine_referral_date", "referral"))),
    Table("ssd_cin_assessments", ("cina_assessment_id",),
          ("cina_assessment_id", "cina_person_id", "cina_referral_id", "cina_assessment_start_date",
           "cina_assessment_child_seen", "cina_assessment_auth_date", "cina_assessment_outcome_json",
           "cina_assessment_outcome_nfa", "cina_assessment_team", "cina_assessment_worker_id"),
          (_episode("cina_assessment_id", "cina-", "cina_person_id", "cina_assessment_start_date",
                    "assessment", child_seen="cina_assessment_child_seen"),)),
    Table("ssd_s47_enquiry", ("s47e_s47_enquiry_id",),
          ("s47e_s47_enquiry_id", "s47e_referral_id", "s47e_person_id", "s47e_s47_start_date", "s47e_s47_end_date",
           "s47e_s47_nfa", "s47e_s47_outcome_json", "s47e_s47_completed_by_team", "s47e_s47_completed_by_worker_id"),
          (_episode("s47e_s47_enquiry_id", "s47e-", "s47e_person_id", "s47e_s47_start_date", "s47"),)),
    Table("ssd_cin_plans", ("cinp_cin_plan_id",),
          ("cinp_cin_plan_id", "cin_plan_id", "cinp_referral_id", "cinp_person_id", "cinp_cin_plan_start_date",
           "cinp_cin_plan_end_date", "cinp_cin_plan_team", "cinp_cin_plan_worker_id"),
          (_episode(("cinp_cin_plan_id", "cin_plan_id"), "cinp-", "cinp_person_id",
                    "cinp_cin_plan_start_date", "cin_plan"),)),
    Table("ssd_cp_plans", ("cppl_cp_plan_id",),
          ("cppl_cp_plan_id", "cppl_referral_id", "cppl_icpc_id", "cppl_person_id", "cppl_cp_plan_start_date",
           "cppl_cp_plan_end_date", "cppl_cp_plan_ola", "cppl_cp_plan_initial_category",
           "cppl_cp_plan_latest_category"),
          (_episode("cppl_cp_plan_id", "cppl-", "cppl_person_id", "cppl_cp_plan_start_date", "cp_plan"),)),
)

# SSD tables recognised (two of their own column names) but not loaded: docs/sources/ssd.md says why.
IGNORED = {
    "ssd_contacts": ("cont_contact_id", "cont_contact_date"),
    "ssd_cla_visits": ("clav_cla_visit_id", "clav_cla_visit_date"),
    "ssd_cla_episodes": ("clae_cla_episode_id", "clae_cla_episode_start_date"),
    "ssd_cla_reviews": ("clar_cla_review_id", "clar_cla_review_date"),
    "ssd_cla_placement": ("clap_cla_placement_id", "clap_cla_placement_start_date"),
    "ssd_cp_reviews": ("cppr_cp_review_id", "cppr_cp_plan_id"),
    "ssd_initial_cp_conference": ("icpc_icpc_id", "icpc_icpc_date"),
    "ssd_disability": ("disa_person_id", "disa_disability_code"),
    "ssd_immigration_status": ("immi_person_id", "immi_immigration_status"),
    "ssd_early_help_episodes": ("earl_episode_id", "earl_person_id"),
    "ssd_linked_identifiers": ("link_identifier_type", "link_identifier_value"),
    "ssd_address": ("addr_person_id", "addr_address_postcode"),
    "ssd_mother": ("moth_person_id", "moth_childs_person_id"),
    "ssd_involvements": ("invo_involvements_id", "invo_professional_id"),
    "ssd_professionals": ("prof_professional_id", "prof_staff_id"),
    "ssd_voice_of_child": ("voch_person_id", "voch_explained_worries"),
    "ssd_missing": ("miss_person_id", "miss_missing_episode_start_date"),
    "ssd_legal_status": ("lega_person_id", "lega_legal_status"),
    "ssd_family": ("fami_family_id", "fami_person_id"),
    "ssd_care_leavers": ("clea_person_id", "clea_care_leaver_in_touch"),
    "ssd_assessment_factors": ("cinf_assessment_id", "cinf_assessment_factors_json"),
    "ssd_sdq_scores": ("csdq_person_id", "csdq_sdq_score"),
    "ssd_send": ("send_person_id", "send_upn"),
    "ssd_permanence": ("perm_person_id", "perm_table_id"),
    "ssd_pre_proceedings": ("prep_person_id", "prep_table_id"),
}


def _overlap(table: Table, columns: set[str]) -> int:
    return len(columns & set(table.columns))


def recognise(columns: list[str] | tuple[str, ...]) -> Table | str | None:
    """The SSD table a normalised header belongs to (the loaded table with its record id or the
    most columns in common, at least two), the name of an SSD table not loaded here, or None."""
    present = set(columns)
    best = max(TABLES, key=lambda t: (bool(present & set(t.ids)), _overlap(t, present)))
    if present & set(best.ids) or _overlap(best, present) >= 2:
        return best
    return next((name for name, signature in IGNORED.items() if set(signature) <= present), None)


def claims(columns) -> bool:
    return recognise(list(columns)) is not None


def _outputs(table: Table | str | None, columns: list[str], context: Context) -> list[Output]:
    name = context.name
    if not isinstance(table, Table):
        loaded = ", ".join(t.name for t in TABLES)
        raise FileProblem(name, f"is the SSD table {table}, which this tool does not load (it loads {loaded}; "
                                f"see {DOCS})", line=1)
    for sources in table.required():
        if not any(s in columns for s in sources):
            alternatives = f" (or {', '.join(sources[1:])})" if len(sources) > 1 else ""
            raise FileProblem(name, f"looks like the SSD table {table.name} but has no column {sources[0]}"
                                    f"{alternatives}", line=1, column=sources[0])
    outputs = [o for o in table.outputs if context.kind_hint in (None, o.kind)]
    if not outputs:
        kinds = " and ".join(o.kind for o in table.outputs)
        raise FileProblem(name, f"is the SSD table {table.name}, which loads as {kinds}, not as "
                                f"'{context.kind_hint}'", line=1)
    return outputs


def _part(output: Output, raw: RawTable, bad_rows: list[tuple[int, str]]) -> Part:
    columns = raw.frame.columns
    exprs, labels = [], {}
    for name, spec in output.fields.items():
        present = [s for s in spec.sources if s in columns]
        exprs.append(spec.expr(present, name))
        labels[name] = "/".join(present)
    exprs += [pl.lit(value, pl.String).alias(name) for name, value in output.constants.items()]
    frame = raw.frame.select(*exprs, pl.col(LINE))  # contract columns only: nothing else of the file goes on
    return Part(KINDS[output.kind], RawTable(frame, raw.excel, bad_rows), labels=labels)


def batches(first: RawTable, rest: Iterator[RawTable], context: Context) -> Iterator[Batch]:
    columns = list(first.frame.columns)
    outputs = _outputs(recognise(columns), columns, context)
    for raw in chain([first], rest):
        # Rows the reader could not split are reported once, with the first kind: one line, one record.
        yield Batch([_part(output, raw, raw.bad_rows if i == 0 else []) for i, output in enumerate(outputs)])


SOURCE = Source("ssd", "Standard Safeguarding Dataset (SSD) table as CSV", "table", claims, batches,
                ("children", "episodes", "referrals"), priority=20)
