"""The data contract's input kinds, declared once.

Each column names a *type* whose normaliser lives in `normalise.py`. The loader,
kind detection, the landing tables' DDL and the tests all read these
declarations; nothing else lists columns.
"""
from __future__ import annotations

from dataclasses import dataclass, field

FLAG = ("Y", "N")
INTERPRETER_TYPES = (
    "not_needed", "professional", "family_member", "child",
    "community_member", "needed_not_provided", "unknown",
)
AGENCIES = ("social_care", "police", "health", "education", "other")


# Column types (normalisers in normalise.py):
#   text         free text (a narrative, a name of a person's language...): may identify someone
#   reference    a record's own reference in the agency's system (review_id, episode_id...): identifies a record
#   label        the name of an organisation or place (partnership, area): not personal
#   child_id     the child's identifier: pseudonymised at ingest, never stored raw
#   birth_month  a date of birth: stored as year-month only
#   enum, date, age, count, ethnicity, ethnic_group: coded values
TEXT_TYPES = ("text", "reference", "label", "child_id")  # kept as trimmed text, checked only for length
# Types whose raw value cannot identify anyone: only these may be echoed (e.g. in the quarantine).
# Any other type, including one added later, is withheld: the rule fails closed.
NON_IDENTIFYING_TYPES = frozenset({"enum", "date", "age", "count", "ethnicity", "ethnic_group", "label"})
# Types that are direct identifiers wherever they appear: never kept as an extra column either.
DIRECT_IDENTIFIER_TYPES = frozenset({"child_id", "birth_month"})


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # see the list of column types above
    required: bool = False
    values: tuple[str, ...] = ()  # allowed values for enums, canonical spelling

    @property
    def sql_type(self) -> str:
        return {"date": "DATE", "age": "INTEGER", "count": "BIGINT", "child_id": "BIGINT"}.get(self.type, "VARCHAR")

    @property
    def identifying(self) -> bool:
        """True when a raw value of this column could identify a child or a record: never echoed."""
        return self.type not in NON_IDENTIFYING_TYPES


@dataclass(frozen=True)
class Kind:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    fact: str  # the fact table (sql/marts) its rows feed
    checks: tuple[str, ...] = field(default=())  # cross-column rules, see loader

    @property
    def child_level(self) -> bool:
        """Rows about a child (pseudonymised): they hang off dim_child."""
        return any(c.type == "child_id" for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _flags(*names: str) -> tuple[Column, ...]:
    return tuple(Column(n, "enum", values=FLAG) for n in names)


REVIEWS = Kind(
    "reviews",
    (
        Column("review_id", "reference", True),
        Column("partnership", "label", True),
        Column("review_type", "enum", True, ("RR", "LCSPR")),
        Column("notification_date", "date", True),
        Column("incident_date", "date"),
        Column("child_ethnicity", "ethnicity"),
        Column("ethnicity_source", "enum", values=("review", "sin", "not_recorded")),
        Column("child_sex", "enum", values=("M", "F", "U")),
        Column("child_age_years", "age"),
        Column("outcome", "enum", values=("death", "serious_harm")),
        Column("harm_cause", "text"),
        Column("primary_suspect", "text"),
        *_flags("disability", "neurodiverse", "mental_health", "sole_carer", "missing_education", "neet",
                "progressed_to_lcspr", "kloe_race_focus"),
        Column("tor_race_focus", "enum", values=("yes", "no", "unclear", "no_tor")),
        Column("race_considered", "enum", values=("none", "partial", "consistent")),
        *_flags("inequity_considered", "racism_named", "adultification_identified"),
        Column("intersectionality", "enum", values=("none", "in_isolation", "applied")),
        *_flags("other_protected_characteristics", "faith_recorded", "faith_significant",
                "harmful_practice", "immigration_issue"),
        Column("child_voice_review", "enum", values=("considered", "partial", "not_considered", "under_3")),
        *_flags("child_voice_heard_practice"),
        Column("child_seen_alone", "enum", values=("Y", "N", "not_applicable")),
        Column("interpreter_type", "enum", values=INTERPRETER_TYPES),
        Column("disclosure_followed_up", "enum", values=("Y", "N", "no_disclosure")),
        Column("risk_recognition", "enum", values=(
            "no_prior_concerns", "recognised_not_acted", "recognised_acted", "not_recognised", "unclear")),
        *_flags("race_learning_points", "racism_recommendation"),
        Column("panel_letter_race", "enum", values=("Y", "N", "no_letter")),
    ),
    key=("partnership", "review_id"),
    fact="fct_review",
    checks=("incident_not_after_notification",),
)

CHILDREN = Kind(
    "children",
    (
        Column("child_id", "child_id", True),
        Column("agency", "enum", True, AGENCIES),
        Column("ethnicity", "ethnicity"),
        Column("sex", "enum", values=("M", "F", "U")),
        Column("date_of_birth", "birth_month"),
        Column("first_language", "text"),
        *_flags("interpreter_needed", "disability"),
    ),
    key=("agency", "child_id"),
    fact="fct_child_record",
)

EPISODES = Kind(
    "episodes",
    (
        Column("episode_id", "reference", True),
        Column("child_id", "child_id", True),
        Column("agency", "enum", True, AGENCIES),
        Column("episode_type", "enum", True, (
            "referral", "assessment", "s47", "cin_plan", "cp_plan", "cp_visit", "cin_visit",
            "health_contact", "police_contact", "school_contact", "other")),
        Column("episode_date", "date", True),
        *_flags("child_seen"),
        Column("seen_alone", "enum", values=("Y", "N", "not_applicable")),
        *_flags("voice_recorded", "identity_explored"),
        Column("interpreter_type", "enum", values=INTERPRETER_TYPES),
    ),
    key=("agency", "episode_id"),
    fact="fct_episode",
)

DISCLOSURES = Kind(
    "disclosures",
    (
        Column("disclosure_id", "reference", True),
        Column("child_id", "child_id", True),
        Column("agency", "enum", True, AGENCIES),
        Column("disclosure_date", "date", True),
        Column("harm_type", "enum", values=(
            "physical", "sexual", "emotional", "neglect", "exploitation", "domestic_abuse", "other")),
        Column("action", "enum", values=(
            "referral", "strategy_discussion", "s47", "police_investigation", "early_help", "none")),
        Column("action_date", "date"),
    ),
    key=("agency", "disclosure_id"),
    fact="fct_disclosure",
    checks=("action_not_before_disclosure",),
)

POPULATION = Kind(
    "population",
    (
        Column("area", "label", True),
        Column("ethnic_group", "ethnic_group", True),
        Column("children", "count", True),
    ),
    key=("area", "ethnic_group"),
    fact="fct_cin",
)

REFERRALS = Kind(
    "referrals",
    (
        Column("child_id", "child_id", True),
        Column("agency", "enum", True, AGENCIES),
        Column("referral_date", "date", True),
        *_flags("referral_nfa"),
        Column("primary_need", "enum", values=tuple(f"N{i}" for i in range(10))),
        Column("closure_date", "date"),
    ),
    key=("agency", "child_id", "referral_date"),
    fact="fct_referral",
    checks=("closure_not_before_referral",),
)

KINDS: dict[str, Kind] = {k.name: k for k in (REVIEWS, CHILDREN, EPISODES, DISCLOSURES, REFERRALS, POPULATION)}
CHILD_KINDS = frozenset(k.name for k in KINDS.values() if k.child_level)


def direct_identifier_columns() -> frozenset[str]:
    """Names that are a child identifier or a date of birth in some kind: refused as extra columns."""
    return frozenset(c.name for k in KINDS.values() for c in k.columns if c.type in DIRECT_IDENTIFIER_TYPES)
