"""A load that only adds rows updates dim_child and the episode cube by appending (marts.build_marts'
`appended`); everything it publishes must equal a full rebuild of the same database."""
from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pipelines.catalogue import catalogue
from pipelines.cubes import cube_name, group_columns
from pipelines.loader import load_file, load_files
from pipelines.store import read_connection

from conftest import SAMPLE_DATA, run_cli

EPISODE_FACT = next(i.fact for i in catalogue() if i.fact.name == "fct_episode")


def snapshot(con: duckdb.DuckDBPyConnection) -> dict:
    """What pages and default output read: dim_child, every cube summed by its combination, the release."""
    out = {"dim_child": sorted(con.execute("SELECT * FROM dim_child").fetchall(), key=repr),
           "release": sorted(con.execute("SELECT * FROM release_cells").fetchall(), key=repr)}
    for (table,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'cube_%'").fetchall():
        columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        keys = [f'"{c}"' for c in columns if not (c.startswith(("n_", "d_")) or c == "units")]
        sums = [f'sum("{c}")' for c in columns if f'"{c}"' not in keys]
        out[table] = sorted(con.execute(f"SELECT {', '.join(keys + sums)} FROM {table} GROUP BY ALL").fetchall(), key=repr)
    return out


def rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.fixture
def month_split(tmp_path):
    """The sample's episodes before their last month, and that month as a new extract, with three
    episodes of children no file has named before and twenty recorded late (dated in earlier months)."""
    episodes = pl.read_csv(SAMPLE_DATA / "episodes.csv", infer_schema=False)
    last = episodes["episode_date"].max()[:7]
    base, month = episodes.filter(~pl.col("episode_date").str.starts_with(last)), \
        episodes.filter(pl.col("episode_date").str.starts_with(last))
    new = month.head(3).with_columns(pl.format("NEW-{}", pl.col("episode_id")).alias("episode_id"),
                                     pl.format("NEWCHILD-{}", pl.col("child_id")).alias("child_id"))
    late = base.head(20).with_columns(pl.format("LATE-{}", pl.col("episode_id")).alias("episode_id"))
    base.write_csv(tmp_path / "episodes_base.csv")
    pl.concat([month, new, late]).write_csv(tmp_path / "episodes_month.csv")
    assert month.height > 50 and base.height > 1000
    return tmp_path / "episodes_base.csv", tmp_path / "episodes_month.csv"


def test_a_month_of_new_episodes_appends_and_equals_a_full_rebuild(cfg, month_split):
    base, month = month_split
    assert {r.status for r in load_files([SAMPLE_DATA / "children.csv", SAMPLE_DATA / "reviews.csv", base], cfg)} \
        == {"loaded"}
    with read_connection(cfg.db_path) as con:
        children_before, cube_before = rows(con, "dim_child"), rows(con, cube_name(EPISODE_FACT))
    result = load_file(month, cfg)
    assert result.status == "loaded" and "replaced" not in result.message
    with read_connection(cfg.db_path) as con:
        appended = snapshot(con)
        assert rows(con, "dim_child") == children_before + 3  # the three new children, and no one else
        grown = rows(con, cube_name(EPISODE_FACT))
    assert run_cli("release", "--db", cfg.db_path)[0] == 0  # every mart, cube and release rebuilt
    with read_connection(cfg.db_path) as con:
        assert snapshot(con) == appended
        compact = rows(con, cube_name(EPISODE_FACT))
    # control: the load took the append route: the late episodes' combinations were counted again beside
    # the earlier ones, which the full build folds together
    assert grown > compact and grown > cube_before


def test_a_resend_that_replaces_rows_rebuilds_in_full(cfg, month_split):
    base, month = month_split
    assert {r.status for r in load_files([SAMPLE_DATA / "children.csv", base, month], cfg)} == {"loaded"}
    changed = pl.read_csv(month, infer_schema=False).with_columns(pl.lit("N").alias("voice_recorded"))
    changed.write_csv(month.with_name("episodes_month_corrected.csv"))
    result = load_file(month.with_name("episodes_month_corrected.csv"), cfg)
    assert result.status == "loaded" and "replaced their earlier version" in result.message
    with read_connection(cfg.db_path) as con:
        after = snapshot(con)
        folded = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {', '.join(group_columns(EPISODE_FACT))}, "
                             f"event_date FROM {cube_name(EPISODE_FACT)})").fetchone()[0]
        assert rows(con, cube_name(EPISODE_FACT)) == folded  # rebuilt: one row per combination
    assert run_cli("release", "--db", cfg.db_path)[0] == 0
    with read_connection(cfg.db_path) as con:
        assert snapshot(con) == after
