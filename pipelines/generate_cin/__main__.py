"""Command line: python -m pipelines.generate_cin --out cin_2025.xml --children 10000 --year 2025 --seed 1"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __doc__ as PACKAGE_DOC
from .writer import write_cin_return


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=PACKAGE_DOC.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--year", type=int, default=2025, help="census year: reference date 31 March YEAR")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--id-offset", type=int, default=0)
    parser.add_argument("--overlap-from", type=Path, help="last year's return: carry its open children over")
    parser.add_argument("--booleans", choices=("digits", "words"))
    args = parser.parse_args(argv)
    s = write_cin_return(args.out, children=args.children, year=args.year, seed=args.seed, id_offset=args.id_offset,
                         overlap_from=args.overlap_from, booleans=args.booleans)
    print(f"wrote {s.path}: {s.children:,} children ({s.carried:,} carried, {s.rereferred:,} re-referred), "
          f"{s.episodes:,} episodes, {s.bytes / 1e6:.1f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
