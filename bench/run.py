"""`make bench`: ingest, memory, page-query and scaling figures, measured in one run.

Everything is compared with a baseline measured in the same run on the same
machine (DuckDB's own read_csv of the same file), because shared machines are
noisy. Results go to bench/results.json and bench/results.md. The CIN census XML section
(bench/cin.py) is compared with a bare lxml iterparse of the same return; `--only cin` runs it alone.
The partnership section (bench/partnership.py: the sample's six files, a 7-row file, a coded review,
the release at the sample's size and at scale 0.3) runs alone with `--only partnership`.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import cin, partnership

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "bench" / "data"
KINDS = ("children", "episodes", "disclosures", "population", "reviews")


# The child's own peak, reported at its exit: Linux carries a parent's peak RSS over into the
# ru_maxrss of a child it spawns (kept across exec), so wait4 alone would report this process's
# size whenever it is the larger (an empty child of a 600 MB parent "peaked" at 613 MB).
OWN_PEAK = ("import atexit, sys\n"
            "def _own_peak():\n"
            "    try:\n"
            "        with open('/proc/self/status') as f:\n"
            "            kb = next(line.split()[1] for line in f if line.startswith('VmHWM:'))\n"
            "        sys.stderr.write(f'\\n@@peak_kb {kb}\\n')\n"
            "    except (OSError, StopIteration):\n"
            "        pass\n"
            "atexit.register(_own_peak)\n")


def run_measured(code: str, env: dict | None = None) -> tuple[float, int, str]:
    """Run Python code in a fresh process: (wall seconds, the process's own peak RSS in MB, stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", OWN_PEAK + code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=REPO, env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"benchmark step failed:\n{err[-3000:]}")
    peaks = [line.split()[1] for line in err.splitlines() if line.startswith("@@peak_kb ")]
    return wall, (int(peaks[-1]) if peaks else usage.ru_maxrss) // 1024, out


def generate(scale: float) -> Path:
    folder = DATA / f"scale_{scale:g}"
    if not (folder / "episodes.csv").exists():
        from pipelines.generate import generate as write
        write(folder, seed=7, scale=scale)
    return folder


def floor(csv: Path, db: Path) -> float:
    """DuckDB alone reading the same CSV into a table in a database file, with its own type detection."""
    db.unlink(missing_ok=True)
    wall, _, _ = run_measured(f"import duckdb; con = duckdb.connect({str(db)!r}); "
                              f"con.execute(\"CREATE TABLE e AS SELECT * FROM read_csv({str(csv)!r})\"); "
                              "con.execute('CHECKPOINT'); con.close()")
    return wall


def load(csv: Path, db: Path) -> tuple[float, int, dict]:
    code = ("import json, pathlib; from pipelines.loader import load_file; from pipelines.config import settings; "
            f"r = load_file(pathlib.Path({str(csv)!r}), settings({str(db)!r})); "
            "assert r.status == 'loaded', r.message; print(json.dumps({'rows': r.rows_loaded, 'timings': r.timings}))")
    wall, rss, out = run_measured(code, {"PM_KEY_FILE": str(db.parent / "bench.key")})
    return wall, rss, json.loads(out.strip().splitlines()[-1])


def load_all(folder: Path, db: Path) -> dict:
    for p in db.parent.glob(db.name + "*"):
        p.unlink()
    (db.parent / "bench.key").unlink(missing_ok=True)
    results = {}
    for kind in KINDS:
        wall, rss, info = load(folder / f"{kind}.csv", db)
        results[kind] = {"seconds": round(wall, 2), "peak_rss_mb": rss, "rows": info["rows"], "phases": info["timings"]}
        print(f"  loaded {kind}: {info['rows']:,} rows in {wall:.1f} s, peak {rss} MB", flush=True)
    return results


def month_extract(folder: Path) -> Path:
    """A partnership's next monthly episodes extract: the file's last month again, as new episodes
    (new ids, same shape and volume), to load into the full national database."""
    out = folder / "episodes_month.csv"
    if not out.exists():
        import duckdb

        duckdb.connect().execute(
            f"COPY (SELECT * REPLACE ('M-' || episode_id AS episode_id) FROM read_csv({str(folder / 'episodes.csv')!r}, "
            "all_varchar = true) WHERE episode_date >= (SELECT strftime(max(episode_date::DATE), '%Y-%m-01') FROM "
            f"read_csv({str(folder / 'episodes.csv')!r}, all_varchar = true))) TO {str(out)!r} (HEADER)")
    return out


def release_summary(db: Path) -> list[dict]:
    """Each fact's protected release as last built by a load: cells, share hidden, seconds to build and audit."""
    from pipelines.release import status
    from pipelines.store import read_connection

    with read_connection(db) as con:
        facts = status(con)["facts"]
    for f in facts:
        print(f"  release {f['fact']}: {f['hidden']:,} of {f['cells']:,} cells hidden, built and audited in "
              f"{f['seconds']} s", flush=True)
    return [{k: f[k] for k in ("fact", "cells", "hidden_primary", "hidden", "rounds", "checked", "seconds",
                               "audit_seconds", "passed")} for f in facts]


def page_queries(db: Path, repeats: int) -> dict:
    """Every query each dashboard page runs, on fresh read-only connections as the app does."""
    from pipelines import quality, report
    from pipelines.catalogue import by_id, catalogue
    from pipelines.metrics import Filters
    from pipelines.store import read_connection

    ids = {p: [i for i in catalogue() if i.page == p] for p in ("reviews", "practice")}
    board = [i for i in catalogue() if i.board]
    monthly = [i for i in ids["practice"] if "month" in i.fact.dims]
    one = lambda i: [by_id(i)]  # noqa: E731
    pages = {
        "overview": lambda c: (report.indicator_frame(c, (), indicators=board),
                               report.indicator_frame(c, ("reporting_year",), indicators=board)),
        "reviews": lambda c: (report.indicator_frame(c, (), indicators=ids["reviews"]),
                              report.indicator_frame(c, ("review_type",), indicators=one("review.tor_race_focus"))),
        "practice": lambda c: (report.indicator_frame(c, (), indicators=ids["practice"]),
                               report.indicator_frame(c, ("agency",), indicators=one("practice.ethnicity_recorded")),
                               report.interpreter_mix(c, Filters(), False),
                               report.indicator_frame(c, ("month",), indicators=monthly)),
        "ethnic_groups": lambda c: report.rate_ratios(
            report.indicator_frame(c, ("ethnic_group",), indicators=one("practice.interpreter_informal"))),
        "ethnic_groups_2d": lambda c: report.indicator_frame(c, ("ethnicity", "sex"), indicators=one("practice.voice_captured")),
        "data_quality": lambda c: (quality.loads(c), quality.quarantine_reasons(c), quality.quarantine(c),
                                   *[quality.completeness(c, k) for k in ("children", "episodes", "disclosures")]),
    }
    out = {}
    for name, run in pages.items():
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            with read_connection(db) as con:
                run(con)
            times.append((time.perf_counter() - start) * 1000)
        out[name] = {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}
        print(f"  {name}: median {out[name]['median_ms']} ms", flush=True)
    return out


def app_render(db: Path, repeats: int) -> dict:
    """Each page rendered through Streamlit's AppTest (script run, not browser paint)."""
    from streamlit.testing.v1 import AppTest

    os.environ["PM_DB"] = str(db)
    os.environ["PM_KEY_FILE"] = str(db.parent / "bench.key")
    out = {}
    for page in ("overview", "reviews", "practice", "groups", "quality", "upload"):
        times = []
        for _ in range(repeats):  # a new session each time, so nothing is served from its cache
            at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=120)
            at.run()
            at.switch_page(f"views/{page}.py")
            start = time.perf_counter()
            at.run()
            times.append((time.perf_counter() - start) * 1000)
            assert not at.exception, at.exception
        out[page] = {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}
        print(f"  render {page}: median {out[page]['median_ms']} ms", flush=True)
    return out


def markdown(r: dict) -> str:
    if "national" not in r:  # only the sections run alone so far
        return "\n".join([f"# Benchmark results ({r['when']}, {r['machine']})",
                          *(cin.markdown(r["cin"]) if r.get("cin") else []),
                          *(partnership.markdown(r["partnership"]) if r.get("partnership") else [])])
    big, small = r["national"], r["small"]
    lines = [f"# Benchmark results ({r['when']}, {r['machine']})", "",
             f"National scale: {big['loads']['children']['rows']:,} child records, "
             f"{big['loads']['episodes']['rows']:,} episodes (generator scale {r['scale']:g}).", "",
             "| measure | value | target | met |", "|---|---|---|---|"]
    for row in r["targets"]:
        lines.append(f"| {row['measure']} | {row['value']} | {row['target']} | {'yes' if row['met'] else 'NO'} |")
    lines += ["", "## Episode load phases (seconds, national scale)", "", "| phase | seconds |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in big["loads"]["episodes"]["phases"].items()]
    if big.get("month"):
        lines += ["", f"## One month's episodes ({big['month']['rows']:,}) into the national database: phases (seconds)",
                  "", "| phase | seconds |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in big["month"]["phases"].items()]
    lines += ["", "## Protected release at national scale (as the last load published it)", "",
              "| fact | cells | small | hidden | audit rounds | seconds (of which LP audit) | passed |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {f['fact']} | {f['cells']:,} | {f['hidden_primary'] / max(f['cells'], 1):.1%} | "
              f"{f['hidden'] / max(f['cells'], 1):.1%} | {f['rounds']} | {f['seconds']} ({f['audit_seconds']}) | "
              f"{'yes' if f['passed'] else 'NO'} |" for f in big.get("release", [])]
    lines += ["", "## Page queries at national scale (ms)", "", "| page | median | max |", "|---|---|---|"]
    lines += [f"| {k} | {v['median_ms']} | {v['max_ms']} |" for k, v in big["queries"].items()]
    if r.get("render"):
        lines += ["", "## Page render on the sample data (AppTest, ms)", "", "| page | median | max |", "|---|---|---|"]
        lines += [f"| {k} | {v['median_ms']} | {v['max_ms']} |" for k, v in r["render"].items()]
    lines += ["", f"Smaller run for scaling: {small['loads']['episodes']['rows']:,} episodes.", ""]
    if r.get("cin"):
        when = r["cin"].get("when", r["when"])
        lines += cin.markdown(r["cin"], f"; run {when}, after the rest" if when != r["when"] else "")
    if r.get("partnership"):
        when = r["partnership"].get("when", r["when"])
        lines += [*partnership.markdown(r["partnership"]), ""] + ([f"(run {when}, after the rest)"] if when != r["when"] else [])
    return "\n".join(lines)


def section_only(name: str, children: int) -> None:
    """`--only cin|partnership`: one section alone, recorded beside the last full run's results (kept)."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = REPO / "bench" / "results.json"
    result = json.loads(path.read_text()) if path.exists() else {
        "when": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    print(f"{name}:", flush=True)
    old = result.get(name, {}).get("targets", [])
    result[name] = {**(cin.run(DATA, children) if name == "cin" else partnership.run(DATA)),
                    "when": time.strftime("%Y-%m-%d %H:%M")}
    if "targets" in result:  # the full run's table: this section's rows replaced by this run's
        mine = {t["measure"] for t in old} | {t["measure"] for t in result[name].get("targets", [])}
        result["targets"] = [t for t in result["targets"] if t["measure"] not in mine] + result[name].get("targets", [])
    path.write_text(json.dumps(result, indent=1))
    (REPO / "bench" / "results.md").write_text(markdown(result))
    print(markdown(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=200, help="generator scale; 200 = 1M children, 10M episodes")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--no-render", action="store_true", help="skip the AppTest page renders")
    parser.add_argument("--only", choices=("cin", "partnership"), help="run one section alone, keeping the other results")
    parser.add_argument("--cin-children", type=int, default=100_000, help="children in the CIN census return")
    args = parser.parse_args()
    if args.only:
        return section_only(args.only, args.cin_children)
    DATA.mkdir(parents=True, exist_ok=True)
    result = {"when": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
              "scale": args.scale}
    for label, scale in (("small", args.scale / 10), ("national", args.scale)):
        print(f"{label}: generating scale {scale:g}", flush=True)
        folder = generate(scale)
        db = DATA / f"{label}.duckdb"
        floor_s = floor(folder / "episodes.csv", DATA / f"{label}_floor.duckdb")
        print(f"  floor (DuckDB read_csv of episodes): {floor_s:.1f} s", flush=True)
        loads = load_all(folder, db)
        result[label] = {"floor_seconds": round(floor_s, 2), "loads": loads, "release": release_summary(db),
                         "queries": page_queries(db, args.repeats) if label == "national" else {}}
        if label == "national":  # after the page queries, which read the database as loaded
            wall, rss, info = load(month_extract(folder), db)
            result[label]["month"] = {"seconds": round(wall, 2), "peak_rss_mb": rss, "rows": info["rows"],
                                      "phases": info["timings"]}
            print(f"  one month's episodes ({info['rows']:,}) into the national database: {wall:.1f} s", flush=True)
    print(f"cin: {args.cin_children:,} children", flush=True)
    result["cin"] = cin.run(DATA, args.cin_children)
    print("partnership:", flush=True)
    result["partnership"] = partnership.run(DATA)
    if not args.no_render:
        sample = DATA / "sample.duckdb"
        load_all(REPO / "sample_data", sample)
        result["render"] = app_render(sample, 5)
    big, small = result["national"], result["small"]
    ratio = big["loads"]["episodes"]["seconds"] / big["floor_seconds"]
    growth = big["loads"]["episodes"]["seconds"] / small["loads"]["episodes"]["seconds"]
    rows = big["loads"]["episodes"]["rows"] / small["loads"]["episodes"]["rows"]
    month = big["month"]
    peak = max(v["peak_rss_mb"] for v in [*big["loads"].values(), month])
    slowest = max(v["median_ms"] for v in big["queries"].values())
    result["targets"] = [
        {"measure": "episode ingest / DuckDB read_csv floor", "value": f"{ratio:.2f}x", "target": "<= 1.5x", "met": ratio <= 1.5},
        {"measure": "loader peak memory", "value": f"{peak} MB", "target": "<= 1024 MB", "met": peak <= 1024},
        {"measure": "one month's episodes into the national database", "value": f"{month['seconds']} s",
         "target": "<= 5 s", "met": month["seconds"] <= 5},
        {"measure": "slowest page query median", "value": f"{slowest} ms", "target": "< 250 ms", "met": slowest < 250},
        {"measure": f"ingest time growth for {rows:.1f}x rows", "value": f"{growth:.2f}x", "target": "<= 11x",
         "met": growth <= 11},
    ]
    result["targets"] += result["cin"].get("targets", []) + result["partnership"]["targets"]
    if result.get("render"):
        worst = max(v["median_ms"] for v in result["render"].values())
        result["targets"].append({"measure": "slowest page render (sample data)", "value": f"{worst} ms",
                                  "target": "< 1000 ms", "met": worst < 1000})
    (REPO / "bench" / "results.json").write_text(json.dumps(result, indent=1))
    (REPO / "bench" / "results.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
