"""Where things live and the few settings a partnership may change.

Every path can be overridden by an environment variable so that tests, CI and
a partnership's own deployment never share state by accident.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = REPO_ROOT / "sql"
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


@dataclass(frozen=True)
class Settings:
    db_path: Path
    key_path: Path
    suppression_threshold: int  # counts 1..threshold are hidden by default
    followup_days: int  # a disclosure acted on later than this is "not followed up"
    max_upload_mb: int
    max_xlsx_mb: int = 100  # a workbook unpacked (its XML): beyond this, refused before reading (zip bombs)
    # The only unknown extra columns stored (normalised names); every other extra column is ignored,
    # as it may hold an identifier.
    keep_columns: tuple[str, ...] = ()
    audit_path: Path | None = None  # the append-only audit trail; default beside the database
    access_path: Path | None = None  # who may see what (docs/access.md), read only when sign-in is configured

    @property
    def audit_db(self) -> Path:
        """Its own file: a load swaps in a new database file and a purge rewrites it; neither touches this."""
        return self.audit_path or self.db_path.parent / "audit.duckdb"


def settings(db: str | os.PathLike | None = None) -> Settings:
    """Settings from the environment, with an explicit database path winning."""
    data_dir = Path(os.environ.get("PM_DATA_DIR", REPO_ROOT / "data"))
    db_path = Path(db or os.environ.get("PM_DB", data_dir / "partnership.duckdb"))
    key_path = Path(os.environ.get("PM_KEY_FILE", db_path.parent / "pseudonymisation.key"))
    return Settings(
        db_path=db_path,
        key_path=key_path,
        suppression_threshold=_whole("PM_SUPPRESS_MAX", "5", least=1),
        followup_days=_whole("PM_FOLLOWUP_DAYS", "1", least=0),
        max_upload_mb=_whole("PM_MAX_UPLOAD_MB", "200", least=1),
        max_xlsx_mb=_whole("PM_MAX_XLSX_MB", "100", least=1),
        keep_columns=keep_columns(os.environ.get("PM_KEEP_COLUMNS", "")),
        audit_path=Path(os.environ.get("PM_AUDIT_DB", db_path.parent / "audit.duckdb")),
        access_path=Path(os.environ.get("PM_ACCESS", REPO_ROOT / "access.toml")),
    )


def _whole(variable: str, default: str, least: int) -> int:
    """A whole-number setting from the environment, refused with its name when it is not one or too small
    (PM_FOLLOWUP_DAYS=-3 would make every disclosure 'not followed up')."""
    text = os.environ.get(variable, default)
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{variable}={text!r} is not a whole number") from None
    if value < least:
        raise ValueError(f"{variable}={value} is below {least}")
    return value


def keep_columns(text: str) -> tuple[str, ...]:
    """PM_KEEP_COLUMNS: comma-separated column names, matched as headers are (case, spaces, hyphens)."""
    from .readers import normalise_header  # readers needs Polars; importing it here keeps config light

    return tuple(dict.fromkeys(n for n in (normalise_header(p) for p in text.split(",")) if n))
