"""``python -m dataabs.demo <dest> [--rows N] [--seed S]``: write the demo deal package."""

from __future__ import annotations

import argparse
from pathlib import Path

from dataabs.demo.generate import DEFAULT_ROWS, DEFAULT_SEED, write_demo_package


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and write the package."""
    parser = argparse.ArgumentParser(
        prog="python -m dataabs.demo", description="Write the demo deal package."
    )
    parser.add_argument("dest", type=Path, help="folder to write (created if missing)")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows per data sample")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    print(write_demo_package(args.dest, sample_rows=args.rows, seed=args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
