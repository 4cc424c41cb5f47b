"""``python -m dataabs.demo <dest> [--package ID | --all] [--rows N] [--seed S]``: write demo deal packages."""

from __future__ import annotations

import argparse
from pathlib import Path

from dataabs.demo.catalogue import PACKAGES, write_named_package


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and write the package (or, with ``--all``, every package under ``dest/<id>``)."""
    parser = argparse.ArgumentParser(prog="python -m dataabs.demo", description="Write demo deal packages.")
    parser.add_argument("dest", type=Path, help="folder to write (created if missing); with --all the parent")
    parser.add_argument("--package", default="demo", choices=sorted(PACKAGES), help="which demo package")
    parser.add_argument("--all", action="store_true", help="write every demo package into dest/<deal id>")
    parser.add_argument(
        "--rows", type=int, default=None, help="rows per data sample (package default if omitted)"
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed (package default if omitted)")
    args = parser.parse_args(argv)
    names = list(PACKAGES) if args.all else [args.package]
    for name in names:
        dest = args.dest / name if args.all else args.dest
        print(write_named_package(dest, name, sample_rows=args.rows, seed=args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
