"""CIN census XML loading, against a bare lxml iterparse of the same return (the floor).

A synthetic return (pipelines.generate_cin) of `children` children is written once and kept
under bench/data/. In the same run, each step in a fresh process (bench.run.run_measured, wall
seconds and peak RSS): the floor, lxml's iterparse visiting and clearing every Child and nothing
else; the CIN census source alone (parse and map every Child to contract rows, as the loader
receives them); then pipelines.loader.load_file of the file into a fresh database (the source plus
validation, pseudonymisation, storage, marts and the protected release). Goals: within 2x the
floor's time and under 500 MB peak.
"""
from __future__ import annotations

from pathlib import Path

RATIO_GOAL, MEMORY_GOAL_MB = 2.0, 500
FLOOR_RUNS = 3  # the floor is cheap: its best of three, so the ratio is never flattered by a slow floor
YEAR, SEED = 2025, 7

FLOOR = """
from lxml import etree
n = 0
for _, child in etree.iterparse({path!r}, events=("end",), tag="Child"):
    n += 1
    child.clear()
    while child.getprevious() is not None:
        del child.getparent()[0]
print(n)
"""

SOURCE = """
from pathlib import Path
from pipelines.sources import Context, open_file
path = Path({path!r})
n = sum(batch.parts[0].table.frame.height for batch in open_file(path, Context(path.name)).batches)
print(n)
"""


def return_file(data: Path, children: int) -> Path:
    """The cached return: written once per size (to a .part file first, so a cut-short run leaves none)."""
    path = data / f"cin_{YEAR}_{children}.xml"
    if not path.exists():
        from pipelines.generate_cin import write_cin_return

        data.mkdir(parents=True, exist_ok=True)
        s = write_cin_return(path, children=children, year=YEAR, seed=SEED)
        print(f"  wrote {path.name}: {s.children:,} children, {s.episodes:,} episodes, {s.bytes / 1e6:.0f} MB",
              flush=True)
    return path


def run(data: Path, children: int) -> dict:
    from bench.run import load, run_measured

    path = return_file(data, children)
    floors = []
    for _ in range(FLOOR_RUNS):
        wall, rss, out = run_measured(FLOOR.format(path=str(path)))
        assert int(out.split()[-1]) == children, out
        floors.append((wall, rss))
    floor_s, floor_mb = min(floors)
    print(f"  floor (lxml iterparse, Child cleared): {floor_s:.2f} s, peak {floor_mb} MB, "
          f"{children / floor_s:,.0f} children/s", flush=True)
    result = {"children": children, "file_mb": round(path.stat().st_size / 1e6, 1),
              "floor": {"seconds": round(floor_s, 2), "peak_rss_mb": floor_mb,
                        "children_per_second": round(children / floor_s)}}
    if not (Path(__file__).resolve().parent.parent / "pipelines" / "sources" / "cin_census.py").exists():
        print("  load: skipped (no CIN census source in pipelines/sources yet)", flush=True)
        return result
    source_s, source_mb, out = min(run_measured(SOURCE.format(path=str(path))) for _ in range(FLOOR_RUNS))
    assert int(out.split()[-1]) == children, out
    result["source"] = {"seconds": round(source_s, 2), "peak_rss_mb": source_mb,
                        "children_per_second": round(children / source_s)}
    print(f"  CIN source alone (parse and map): {source_s:.2f} s, peak {source_mb} MB, "
          f"{children / source_s:,.0f} children/s, {source_s / floor_s:.2f}x the floor", flush=True)
    folder = data / "cin"
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.glob("cin.duckdb*"), folder / "bench.key"]:
        old.unlink(missing_ok=True)
    wall, rss, info = load(path, folder / "cin.duckdb")
    ratio = wall / floor_s
    result["load"] = {"seconds": round(wall, 2), "peak_rss_mb": rss, "children_per_second": round(children / wall),
                      "rows": info["rows"], "phases": info["timings"]}
    result["ratio"] = round(ratio, 2)
    result["source_ratio"] = round(source_s / floor_s, 2)
    result["targets"] = [
        {"measure": "CIN XML parse and map / bare iterparse", "value": f"{source_s / floor_s:.2f}x",
         "target": f"<= {RATIO_GOAL:g}x", "met": source_s / floor_s <= RATIO_GOAL},
        {"measure": "CIN XML load / bare iterparse", "value": f"{ratio:.2f}x", "target": f"<= {RATIO_GOAL:g}x",
         "met": ratio <= RATIO_GOAL},
        {"measure": "CIN XML load peak memory", "value": f"{rss} MB", "target": f"< {MEMORY_GOAL_MB} MB",
         "met": rss < MEMORY_GOAL_MB},
    ]
    print(f"  load (pipelines.loader.load_file): {wall:.2f} s, peak {rss} MB, {children / wall:,.0f} children/s, "
          f"{ratio:.2f}x the floor; rows {info['rows']:,}", flush=True)
    return result


def markdown(r: dict, when: str = "") -> list[str]:
    lines = ["", f"## CIN census XML load ({r['children']:,} children, {r['file_mb']} MB return{when})", "",
             "| step | seconds | children per second | peak MB |", "|---|---|---|---|",
             f"| floor: bare lxml iterparse, each Child cleared (best of {FLOOR_RUNS}) | {r['floor']['seconds']} | "
             f"{r['floor']['children_per_second']:,} | {r['floor']['peak_rss_mb']} |"]
    if "load" not in r:
        return lines + ["", "The loader has no CIN census source yet: load not measured.", ""]
    load = r["load"]
    source = r["source"]
    lines += [f"| the CIN census source alone: parse and map every Child (best of {FLOOR_RUNS}) | {source['seconds']} | "
              f"{source['children_per_second']:,} | {source['peak_rss_mb']} |",
              f"| pipelines.loader.load_file into a fresh database | {load['seconds']} | "
              f"{load['children_per_second']:,} | {load['peak_rss_mb']} |", "",
              f"Parse and map / floor: **{r['source_ratio']}x**; whole load / floor: **{r['ratio']}x**. Goals: within "
              f"{RATIO_GOAL:g}x the bare parse (parse and map {'PASS' if r['targets'][0]['met'] else 'FAIL'}, whole load "
              f"{'PASS' if r['targets'][1]['met'] else 'FAIL'}) and under {MEMORY_GOAL_MB} MB "
              f"({'PASS' if r['targets'][2]['met'] else 'FAIL'}).", "",
              "Load phases (seconds; `write` is the whole transaction: it contains the later batches' `read`, and `validate`, `append`, `settle` and `marts`):", "",
              "| phase | seconds |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in load["phases"].items()]
    return lines + [""]

