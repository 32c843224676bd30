"""Derive the arms chapter's SIPRI tables from SIPRI Arms Transfers Database CSV exports.

Run by hand from the repository root, never from a notebook:

    python -m builders.arms_sipri                   # rebuild and write the four tables
    python -m builders.arms_sipri --check           # build in memory, report differences, write nothing
    python -m builders.arms_sipri --raw-dir PATH    # raw exports somewhere else (default ../shared/raw/arms/raw/)
    python -m builders.arms_sipri --annotations-only  # no raw exports: re-apply the annotations to arms_deals

Inputs: the SIPRI exports listed in ``builders.sipri.read.EXPORTS`` (in ``--raw-dir``), and two of the book's
own tables in ``--data-dir``: ``arms_deal_annotations`` (the deals in the book's words, its notes and press
keys; hand-kept) and the ``press_only`` rows of ``arms_deals`` (deals SIPRI does not list; kept as they are,
every other row is rebuilt). After an edit of the annotations, ``--annotations-only`` carries it into
``arms_deals`` from the committed table alone, so the book's words can be edited without the raw files.

Outputs (written through their manifests, which refresh their sha256 lines):

* ``arms_tiv_annual``                  yearly TIV, USSR/Russia <-> Iran, the totals needed for shares and
                                       Russia's imports by supplier from 2022
* ``arms_iran_imports_by_supplier``    Iran's imports by supplier, five-year periods
* ``arms_russia_exports_by_recipient`` Soviet/Russian exports by recipient, five-year periods
* ``arms_deals``                       the deal register, both directions, with press keys

The stages are in ``builders/sipri/`` (read, annual, periods, deals). Sums are the book's own calculation
(``calculation = book_sum``) and never SIPRI's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from builders.common import RAW_DIR, run
from builders.sipri import annual, deals, periods, read
from iranrussia import data
from iranrussia.paths import DATA_DIR

DEFAULT_RAW_DIR = RAW_DIR / "arms" / "raw"


def build_tables(
    raw_dir: Path, data_dir: Path = DATA_DIR, exports: tuple[read.Export, ...] = read.EXPORTS
) -> dict[str, pd.DataFrame]:
    """Read, transform and validate; the four tables by name (nothing is written here)."""
    raw = read.load_all(raw_dir, exports)
    annotations = deals.annotations_from_table(data.load(deals.ANNOTATIONS, data_dir=data_dir))
    hand = deals.hand_rows(data.load(deals.TABLE, data_dir=data_dir))
    tables = {
        annual.TABLE: annual.build_annual(raw),
        **periods.build_periods(raw),
        deals.TABLE: deals.build_deals(raw, annotations, hand),
    }
    annual.validate_annual(tables[annual.TABLE])
    for name in (periods.IMPORTS, periods.RUSSIA_EXPORTS):
        periods.validate_periods(tables[name], name)
    deals.validate_deals(tables[deals.TABLE])
    return tables


def reannotate_deals(data_dir: Path = DATA_DIR) -> dict[str, pd.DataFrame]:
    """``arms_deals`` as committed, with ``arms_deal_annotations`` applied afresh (no raw export is read)."""
    annotations = deals.annotations_from_table(data.load(deals.ANNOTATIONS, data_dir=data_dir))
    table = deals.reannotate(data.load(deals.TABLE, data_dir=data_dir), annotations)
    deals.validate_deals(table)
    return {deals.TABLE: table}


def build(args: argparse.Namespace) -> dict[str, pd.DataFrame]:
    if args.annotations_only:
        return reannotate_deals(args.data_dir)
    return build_tables(args.raw_dir, args.data_dir)


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--annotations-only",
        action="store_true",
        help="re-apply data/arms_deal_annotations.csv to the committed arms_deals; reads no raw file",
    )


def main(argv: list[str] | None = None) -> int:
    return run(
        build, description=__doc__.split("\n")[0], inputs={"raw-dir": DEFAULT_RAW_DIR}, argv=argv, options=_options
    )


if __name__ == "__main__":
    sys.exit(main())
