"""What every builder shares: the command line, and writing its tables through their manifests.

A builder module has one shape: ``read`` the raw inputs, ``transform`` them into the book's tables,
``validate`` what only the builder can know (e.g. book sums agree with the producer's own totals), and hand
the tables to :func:`run`, which writes each through :func:`iranrussia.data.write` (column order, row order,
cell formatting and every loader check come from the table's manifest). Run a builder from the repository
root as ``python -m builders.<name>``; ``--check`` builds in memory and reports how the result differs from
the committed tables, writing nothing (exit status 1 if any differs).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from iranrussia import data
from iranrussia.paths import BIBLIOGRAPHY, DATA_DIR, REPO_ROOT

#: Where the third-party raw files live on a maintainer's machine (beside the repository; never shipped).
RAW_DIR = REPO_ROOT.parent / "shared" / "raw"

Build = Callable[[argparse.Namespace], Mapping[str, pd.DataFrame]]


def write_tables(
    tables: Mapping[str, pd.DataFrame],
    *,
    data_dir: Path = DATA_DIR,
    bibliography: Path = BIBLIOGRAPHY,
    check: bool = False,
    say=print,
) -> int:
    """Write (or with ``check`` compare) each table; return 1 if a check found a difference, else 0.

    Every table is checked before any is written, so a breach in the last leaves the first unwritten too.
    """
    results = [
        data.write(name, frame, data_dir=data_dir, bibliography=bibliography, check=True)
        for name, frame in tables.items()
    ]
    if not check:
        results = [
            data.write(name, frame, data_dir=data_dir, bibliography=bibliography) for name, frame in tables.items()
        ]
    for result in results:
        if not result.changed:
            say(f"{result.name}: {result.rows} rows, unchanged (sha256 {result.sha256[:12]})")
        elif result.written:
            say(f"{result.name}: {result.rows} rows written (sha256 {result.sha256[:12]})")
        else:
            say(
                f"{result.name}: {result.rows} rows, DIFFERS from {result.path.name}: "
                f"{len(result.added)} lines new, {len(result.removed)} lines gone"
            )
            for prefix, lines in (("+", result.added), ("-", result.removed)):
                for line in lines[:5]:
                    say(f"  {prefix} {line}")
                if len(lines) > 5:
                    say(f"  {prefix} ... and {len(lines) - 5} more")
    return 1 if check and any(r.changed for r in results) else 0


def run(
    build: Build,
    *,
    description: str,
    inputs: Mapping[str, Path],
    argv: list[str] | None = None,
    options: Callable[[argparse.ArgumentParser], None] | None = None,
) -> int:
    """The command line of a builder: one ``--<input>`` option per raw input, ``--data-dir`` and ``--check``
    (``options`` may add a builder's own)."""
    parser = argparse.ArgumentParser(description=description)
    for option, default in inputs.items():
        parser.add_argument(f"--{option}", type=Path, default=default, help=f"default: {default}")
    if options:
        options(parser)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="where the tables and manifests are")
    parser.add_argument(
        "--check",
        action="store_true",
        help="build in memory and report differences from the committed tables; write nothing",
    )
    args = parser.parse_args(argv)
    return write_tables(build(args), data_dir=args.data_dir, check=args.check)
