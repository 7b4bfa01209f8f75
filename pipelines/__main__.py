"""Command line: python -m pipelines {load,indicators,spc,report,release,loads,quarantine,purge,generate}.

A thin layer: each command parses its options and calls the library.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from . import metrics, release, stages
from .config import settings
from .loader import load_files
from .schema import KINDS
from .store import read_connection

INTERNAL_WARNING = "OFFICIAL-SENSITIVE: unsuppressed figures for internal use only; do not publish."


def _db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="DuckDB file (default: $PM_DB or data/partnership.duckdb)")


def _filter_options(p: argparse.ArgumentParser) -> None:
    """The dashboard's filters. Default output takes one financial year or the whole period, one agency or all."""
    p.add_argument("--period", help="financial year, e.g. 2023-24, or a range 2022-23:2024-25 (internal use)")
    p.add_argument("--agency", help="agency, e.g. police, or several joined by commas (internal use)")
    p.add_argument("--partnership", help="one partnership's reviews")


def filters_from(args: argparse.Namespace) -> metrics.Filters:
    start = end = None
    if args.period:
        first, _, last = args.period.partition(":")
        for year in (first, last or first):
            if not re.fullmatch(r"\d{4}-\d{2}", year) or (int(year[:4]) + 1) % 100 != int(year[5:]):
                raise ValueError(f"--period {args.period!r}: give a financial year such as 2023-24")
        start, end = release.year_bounds(first)[0], release.year_bounds(last or first)[1]
    agencies = tuple(a.strip() for a in (args.agency or "").split(",") if a.strip())
    return metrics.Filters(partnership=args.partnership, period_start=start, period_end=end, agencies=agencies)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("load", help="load extracts (contract CSV/XLSX, CIN census XML, SSD tables, mapped agency files)")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--kind", choices=list(KINDS), help="the extract's kind (default: detected from its columns)")
    p.add_argument("--mapping", type=Path, help="an agency mapping file (YAML) for every file named: their columns, "
                                                "codes and date formats to a contract kind (docs/sources/mapping.md)")
    _db_option(p)

    p = sub.add_parser("indicators", help="print every indicator the loaded data supports")
    p.add_argument("--json", action="store_true", help="JSON array as in the data contract (the only format)")
    p.add_argument("--by", default="", help="breakdown: one dimension, or two joined by a comma")
    p.add_argument("--unsuppressed", action="store_true", help="show counts of 1-5 (internal use only)")
    _filter_options(p)
    _db_option(p)

    p = sub.add_parser("spc", help="statistical process control: every monthly indicator's p-chart and signals")
    p.add_argument("--json", action="store_true", help="JSON array, one element per month (data contract §4)")
    p.add_argument("--indicator", action="append", default=[], help="an indicator id (repeat for more; default all)")
    p.add_argument("--by", help="one series per group of this dimension (internal use: month by group is not published)")
    p.add_argument("--unsuppressed", action="store_true", help="exact counts (internal use only)")
    p.add_argument("--baseline", type=int, help="fix the limits on the first N months")
    p.add_argument("--rebase", help="a change date (YYYY-MM): limits computed afresh from that month on")
    p.add_argument("--shift", type=int, default=7, help="points in a row on one side of the mean that make a shift")
    p.add_argument("--trend", type=int, default=7, help="points each above (or below) the one before that make a trend")
    _filter_options(p)
    _db_option(p)

    p = sub.add_parser("report", help="the board pack: one PDF or PowerPoint file with the key figures")
    p.add_argument("--out", type=Path, required=True, help="FILE.pdf or FILE.pptx (the extension decides)")
    p.add_argument("--unsuppressed", action="store_true", help="exact counts, marked OFFICIAL-SENSITIVE on every "
                                                                 "page (internal use only)")
    _filter_options(p)
    _db_option(p)

    p = sub.add_parser("release", help="rebuild and audit the protected release (done after every load)")
    p.add_argument("--json", action="store_true", help="the audit summary as JSON")
    _db_option(p)

    p = sub.add_parser("loads", help="the history of loads")
    p.add_argument("--json", action="store_true")
    _db_option(p)

    p = sub.add_parser("quarantine", help="rows that broke the contract, with the reason")
    p.add_argument("--json", action="store_true")
    p.add_argument("--load-id", type=int)
    _db_option(p)

    p = sub.add_parser("purge", help="remove one load's rows and quarantine records for good")
    p.add_argument("--load-id", type=int, required=True)
    _db_option(p)

    p = sub.add_parser("generate", help="write synthetic extracts for a fictional partnership")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--scale", type=float, default=1.0)
    return parser


def cmd_load(args: argparse.Namespace) -> int:
    cfg = settings(args.db)
    if args.mapping is not None and not args.mapping.is_file():
        raise FileNotFoundError(f"mapping file {args.mapping} not found")
    tty = sys.stderr.isatty()
    progress = _progress_line if tty else _progress_log if os.environ.get("PM_PROGRESS") == "1" else None
    results = load_files(args.paths, cfg, args.kind, args.mapping, progress=progress)
    if tty:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    for result in results:
        _audit(cfg, "load", file=result.file, kind=result.kind, status=result.status, load_id=result.load_id)
        print(result.summary(), flush=True)
    if tty and results and "publish" in results[-1].timings:
        t = results[-1].timings
        print(f"figures built in {t['build']:.1f} s and the protected release published in {t['publish']:.1f} s",
              file=sys.stderr)
    return 1 if any(r.status == "failed" for r in results) else 0


def _progress_line(message: str) -> None:
    """The stage a long load is in, on one line of the terminal that each message overwrites."""
    print(f"\r\033[K{message[:100]}", end="", file=sys.stderr, flush=True)


def _progress_log(message: str) -> None:
    """The same, a line each, for logs (PM_PROGRESS=1 when standard error is not a terminal)."""
    print(f"progress: {message}", file=sys.stderr, flush=True)


def cmd_indicators(args: argparse.Namespace) -> int:
    cfg = settings(args.db)
    by = tuple(d.strip() for d in args.by.split(",") if d.strip())
    with read_connection(cfg.db_path) as con:
        withheld: list[str] = []
        cells = metrics.compute(con, by, filters_from(args), threshold=cfg.suppression_threshold,
                                protected=not args.unsuppressed, withheld=withheld)
    for reason in withheld:
        print(f"not published: {reason}", file=sys.stderr)
    if args.unsuppressed:
        print(INTERNAL_WARNING, file=sys.stderr)
    print(json.dumps([c.as_contract(show_small=args.unsuppressed) for c in cells], indent=1))
    return 0


def cmd_spc(args: argparse.Namespace) -> int:
    from . import signals, spc

    if args.rebase and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.rebase):
        raise ValueError(f"--rebase {args.rebase!r}: give a month such as 2024-04")
    cfg = settings(args.db)
    rules = spc.Rules(shift=args.shift, trend=args.trend, baseline=args.baseline, rebase=args.rebase)
    withheld: list[str] = []
    with read_connection(cfg.db_path) as con:
        series = signals.monthly(con, tuple(args.indicator), args.by, filters_from(args), cfg.suppression_threshold,
                                 protected=not args.unsuppressed, rules=rules, withheld=withheld)
    for reason in withheld:
        print(f"not published: {reason}", file=sys.stderr)
    if args.unsuppressed:
        print(INTERNAL_WARNING, file=sys.stderr)
    if args.json:
        print(json.dumps([row for s in series for row in s.rows()], indent=1))
    else:
        for s in series:
            where = f" ({s.by} = {s.group})" if s.by else ""
            print(f"{s.indicator.id}{where}: {signals.latest_signal(s)}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from . import pack  # reportlab, python-pptx and vl-convert are only needed here

    fmt = pack.format_of(args.out)
    cfg = settings(args.db)
    if not cfg.db_path.exists():
        raise FileNotFoundError(f"no database at {cfg.db_path}: load some files first")
    with read_connection(cfg.db_path) as con:
        data = pack.build(con, fmt, filters_from(args), args.unsuppressed, cfg.suppression_threshold)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    _audit(cfg, "export", file=args.out.name, exact_counts="yes" if args.unsuppressed else "no",
           partnership=args.partnership or "all")
    if args.unsuppressed:
        print(INTERNAL_WARNING, file=sys.stderr)
    print(f"wrote {args.out} ({len(data):,} bytes)")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    cfg = settings(args.db)
    if not cfg.db_path.exists():
        raise FileNotFoundError(f"no database at {cfg.db_path}: load some files first")
    stages.rebuild_all(cfg)  # every mart and cube, and every fact protected and audited afresh
    with read_connection(cfg.db_path) as con:
        summary = release.status(con)
    if args.json:
        print(json.dumps(summary, indent=1))
    for f in summary["facts"]:
        print(f"{f['fact']:<18} {'passed' if f['passed'] else 'FAILED'}: {f['hidden']:,} of {f['cells']:,} cells "
              f"hidden ({f['hidden_primary']:,} small); {f['checked']:,} counts bounded in {f['audit_seconds']} s",
              file=sys.stderr if args.json else sys.stdout)
    return 0 if summary["passed"] else 1


def _rows(db: str | None, sql: str, params: list) -> list[dict]:
    with read_connection(settings(db).db_path) as con:
        cur = con.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def cmd_loads(args: argparse.Namespace) -> int:
    rows = _rows(args.db, "SELECT load_id, file, sha256, kind, rows_read, rows_loaded, rows_quarantined, status, "
                          "started_at, finished_at FROM loads ORDER BY load_id", [])
    _print(rows, args.json, "{load_id:>4} {status:<9} {kind!s:<11} {rows_read:>9} read {rows_loaded:>9} loaded "
                            "{rows_quarantined:>7} quarantined  {file}")
    return 0


def cmd_quarantine(args: argparse.Namespace) -> int:
    rows = _rows(args.db, 'SELECT load_id, file, line, "column", value, reason FROM quarantine '
                          "WHERE ? IS NULL OR load_id = ? ORDER BY load_id, line, \"column\"", [args.load_id, args.load_id])
    _print(rows, args.json, "{file}:{line} {column}: {reason} ({value!r})")
    return 0


def _print(rows: list[dict], as_json: bool, template: str) -> None:
    if as_json:
        print(json.dumps(rows, default=str, indent=1))
    else:
        for r in rows:
            print(template.format(**r))


def cmd_purge(args: argparse.Namespace) -> int:
    from .purge import purge_load

    cfg = settings(args.db)
    result = purge_load(cfg, args.load_id)
    _audit(cfg, "purge", load_id=args.load_id, status=result.status)
    print(result.summary(), flush=True)
    return 0


def _audit(cfg, action: str, **detail) -> None:
    """The command line's actions in the audit trail, as the account that ran them (no sign-in here:
    whoever can run commands holds the database file)."""
    import getpass

    from .audit_trail import record

    record(cfg.audit_db, getpass.getuser(), "command line", action, **detail)


MAX_SCALE = 2_000  # scale 1 is about 5,000 children; bench's national scale is 200 (a million children)


def cmd_generate(args: argparse.Namespace) -> int:
    from .generate import generate  # numpy is only needed here

    if args.out.exists() and not args.out.is_dir():
        raise ValueError(f"--out {args.out} is a file: give a folder for the extracts")
    if not 0 < args.scale <= MAX_SCALE:
        raise ValueError(f"--scale {args.scale:g}: choose more than 0 and at most {MAX_SCALE} "
                         f"({MAX_SCALE} is about {MAX_SCALE * 5000:,} children, ten times national scale)")
    counts = generate(args.out, seed=args.seed, scale=args.scale)
    for name, n in counts.items():
        print(f"{name}: {n:,} rows")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = {"load": cmd_load, "indicators": cmd_indicators, "spc": cmd_spc, "report": cmd_report,
               "release": cmd_release, "loads": cmd_loads, "quarantine": cmd_quarantine, "purge": cmd_purge,
               "generate": cmd_generate}[args.command]
    try:
        return command(args)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
