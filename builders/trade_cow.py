"""Derive the Correlates of War (COW Trade v4.0) rows of the trade chapter's tables.

Run by hand from the repository root:

    python -m builders.trade_cow                 # raw files in ../shared/raw/trade/
    python -m builders.trade_cow --check         # build in memory, report differences, write nothing
    python -m builders.trade_cow --raw-dir PATH  # raw files elsewhere

Inputs (extracts of COW Trade v4.0 made from the peacesciencer copy, see that folder's README.md):

* ``cow_trade_ndy__IRN-RUS_1886-2014.csv`` -- the Iran (630) / Russia (365) dyad;
* ``cow_trade_ndy__IRN_and_RUS_with_selected_partners_1992-2014.csv`` -- dyads of both countries with chosen partners;
* ``cow_trade_sy__IRN_RUS_1988-2014.csv`` -- national imports and exports of both countries.

Outputs: the ``reporter == cow_imf_dots`` rows of ``data/trade_bilateral.csv`` and
``data/trade_partners.csv``. Every other row of those files (press and official figures entered by
hand, UN Comtrade rows) is kept as it is (read through the loader, so a damaged table is refused before
anything is merged into it); the tables are written through their manifests.

COW's dyadic flows are *import-side* figures: ``flow2`` of the 365-630 dyad is Iran's reported
imports from Russia, which this book files as ``russia_to_iran``; ``flow1`` is Russia's reported
imports from Iran (``iran_to_russia``). ``total`` is the book's own sum of the two, written only
for years in which both flows are known and marked ``value_qualifier = book_calculation`` (the flows
themselves are ``as_reported``). The same holds for the partner and world totals of trade_partners.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import pandas as pd

from builders.common import RAW_DIR, run
from iranrussia.data import load
from iranrussia.trade import book_sums

REPORTER = "cow_imf_dots"
SOURCE = "cow-trade-v4;miller-2022-peacesciencer"
FIRST_YEAR, LAST_YEAR = 1992, 2014
DEFAULT_RAW_DIR = RAW_DIR / "trade"

NDY_FILE = "cow_trade_ndy__IRN-RUS_1886-2014.csv"
PARTNERS_FILE = "cow_trade_ndy__IRN_and_RUS_with_selected_partners_1992-2014.csv"
SY_FILE = "cow_trade_sy__IRN_RUS_1988-2014.csv"

IRAN, RUSSIA = 630, 365
# Partners the chapter compares, by focal country: COW code -> slug used in data/trade_partners.csv.
PARTNERS = {
    IRAN: {710: "china", 696: "uae", 640: "turkey", 750: "india", 645: "iraq", 365: "russia"},
    RUSSIA: {710: "china", 750: "india", 640: "turkey", 705: "kazakhstan", 630: "iran"},
}
COUNTRY_SLUG = {IRAN: "iran", RUSSIA: "russia"}

_ROUNDING = "COW values rounded to whole US$ millions in the peacesciencer copy."
_BILATERAL_NOTES = {
    "russia_to_iran": "Iran's imports from Russia as recorded by COW v4.0 (import side, IMF DOTS based; "
    "COW flow2 of the 365-630 dyad). " + _ROUNDING,
    "iran_to_russia": "Russia's imports from Iran as recorded by COW v4.0 (import side, IMF DOTS based; "
    "COW flow1 of the 365-630 dyad). " + _ROUNDING,
    "total": "Book's calculation: sum of the two COW import-side flows for this year. " + _ROUNDING,
}
_YEAR_NOTES = {
    2011: " The 2011 value of Iran's imports from Russia (3599) is far above neighbouring years and is "
    "not confirmed by any other source found; treat with caution.",
}


class CowInputError(ValueError):
    """A raw COW extract lacks a column or holds a value the builder cannot use."""


def _require(df: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise CowInputError(f"{what}: missing column(s) {', '.join(missing)}")


def _value(x):
    """A flow in US$ millions, or None when COW has no figure (NA / -9 / empty)."""
    if x is None or (isinstance(x, str) and x.strip() in ("", "NA", "nan")):
        return None
    v = float(x)
    if pd.isna(v) or v == -9:
        return None
    if v < 0:
        raise CowInputError(f"negative trade value {v}")
    return v


def _calendar_year(year: int) -> dict:
    return {
        "period_label": str(year),
        "period_type": "calendar_year",
        "calendar": "gregorian",
        "period_start": dt.date(year, 1, 1),
        "period_end": dt.date(year, 12, 31),
    }


def bilateral_rows(ndy: pd.DataFrame, first: int = FIRST_YEAR, last: int = LAST_YEAR) -> pd.DataFrame:
    """Rows for data/trade_bilateral.csv from the raw Iran-Russia dyad extract."""
    _require(ndy, ["year", "iran_imports_from_russia_musd", "russia_imports_from_iran_musd"], NDY_FILE)
    rows = []
    for _, r in ndy.iterrows():
        year = int(float(r["year"]))
        if not first <= year <= last:
            continue
        flows = {
            "russia_to_iran": _value(r["iran_imports_from_russia_musd"]),
            "iran_to_russia": _value(r["russia_imports_from_iran_musd"]),
        }
        for flow, value in flows.items():
            if value is not None:
                rows.append(
                    {
                        **_calendar_year(year),
                        "reporter": REPORTER,
                        "flow": flow,
                        "value_musd": value,
                        "value_qualifier": "as_reported",
                        "source": SOURCE,
                        "note": _BILATERAL_NOTES[flow] + _YEAR_NOTES.get(year, ""),
                    }
                )
    rows = pd.DataFrame(rows)
    # The total of a year with both flows: the book's sum, by the one rule the chapter uses too.
    totals = book_sums(rows, note=lambda row: _BILATERAL_NOTES["total"] + _YEAR_NOTES.get(int(row["period_label"]), ""))
    return pd.concat([rows, totals], ignore_index=True)


def partner_rows(
    dyads: pd.DataFrame, national: pd.DataFrame, first: int = FIRST_YEAR, last: int = LAST_YEAR
) -> pd.DataFrame:
    """Rows for data/trade_partners.csv: each focal country's trade with selected partners and the world."""
    _require(
        dyads,
        [
            "year",
            "reporter_ccode",
            "partner_ccode",
            "reporter_imports_from_partner_musd",
            "partner_imports_from_reporter_musd",
        ],
        PARTNERS_FILE,
    )
    _require(national, ["ccode", "year", "imports", "exports"], SY_FILE)
    rows = []
    for _, r in dyads.iterrows():
        year = int(float(r["year"]))
        focal, partner = int(float(r["reporter_ccode"])), int(float(r["partner_ccode"]))
        if not first <= year <= last or focal not in PARTNERS or partner not in PARTNERS[focal]:
            continue
        country, pslug = COUNTRY_SLUG[focal], PARTNERS[focal][partner]
        imports = _value(r["reporter_imports_from_partner_musd"])
        exports = _value(r["partner_imports_from_reporter_musd"])
        flows = {
            "imports": (
                imports,
                f"{country.capitalize()}'s imports from {pslug} as recorded by COW v4.0 (import side, IMF DOTS based).",
            ),
            "exports": (
                exports,
                f"{pslug.capitalize()}'s imports from {country} as recorded by COW "
                f"v4.0: the mirror (partner-reported) measure of {country}'s exports.",
            ),
        }
        for flow, (value, note) in flows.items():
            if value is None:
                continue
            note += _partner_caveat(pslug)
            rows.append(
                {
                    "country": country,
                    "partner": pslug,
                    **_calendar_year(year),
                    "reporter": REPORTER,
                    "flow": flow,
                    "value_musd": value,
                    "value_qualifier": "as_reported",
                    "source": SOURCE,
                    "note": note + " " + _ROUNDING,
                }
            )
    for _, r in national.iterrows():
        year, code = int(float(r["year"])), int(float(r["ccode"]))
        if not first <= year <= last or code not in COUNTRY_SLUG:
            continue
        country = COUNTRY_SLUG[code]
        imports, exports = _value(r["imports"]), _value(r["exports"])
        flows = {
            "imports": (imports, f"{country.capitalize()}'s total goods imports, COW National_COW_4.0."),
            "exports": (exports, f"{country.capitalize()}'s total goods exports, COW National_COW_4.0."),
        }
        for flow, (value, note) in flows.items():
            if value is None:
                continue
            rows.append(
                {
                    "country": country,
                    "partner": "world",
                    **_calendar_year(year),
                    "reporter": REPORTER,
                    "flow": flow,
                    "value_musd": value,
                    "value_qualifier": "as_reported",
                    "source": SOURCE,
                    "note": note + _NATIONAL_ROUNDING,
                }
            )
    rows = pd.DataFrame(rows)
    # Totals by the book's one summing rule: partner totals from the two dyad flows, world totals from
    # national imports and exports. National figures are rounded to three decimals of a US$ million after
    # summing, so a world total is the rounded sum of COW's own figures.
    totals = book_sums(rows, parts=("imports", "exports"), by=_PARTNER_GROUP, note=_partner_total_note)
    out = pd.concat([rows, totals], ignore_index=True)
    world = out["partner"] == "world"
    out.loc[world, "value_musd"] = out.loc[world, "value_musd"].round(3)
    return out


_PARTNER_GROUP = ("country", "partner", "reporter", "period_label", "source")
_NATIONAL_ROUNDING = " Rounded here to three decimals of a US$ million."


def _partner_caveat(partner: str) -> str:
    if partner != "iraq":
        return ""
    return (
        " COW's Iran-Iraq figures are near zero although Iranian customs report exports to "
        "Iraq in the billions of dollars; this pair is a gap in COW, not a measurement."
    )


def _partner_total_note(row: pd.Series) -> str:
    if row["partner"] == "world":
        return "Book's calculation: total imports plus total exports, COW National_COW_4.0." + _NATIONAL_ROUNDING
    return (
        "Book's calculation: sum of the two COW import-side flows." + _partner_caveat(row["partner"]) + " " + _ROUNDING
    )


def merge_keep_hand_rows(existing: pd.DataFrame, derived: pd.DataFrame) -> pd.DataFrame:
    """Replace every COW row of ``existing`` (a loaded table) by ``derived``; all other rows are kept untouched."""
    kept = existing[existing["reporter"] != REPORTER].astype(object)
    return pd.concat([kept, derived.astype(object)], ignore_index=True)


def build(args: argparse.Namespace) -> dict[str, pd.DataFrame]:
    """The two tables with their COW rows rebuilt from the raw extracts (nothing is written here)."""
    raw_dir = Path(args.raw_dir)
    ndy = pd.read_csv(raw_dir / NDY_FILE)
    dyads = pd.read_csv(raw_dir / PARTNERS_FILE)
    national = pd.read_csv(raw_dir / SY_FILE)
    derived = {"trade_bilateral": bilateral_rows(ndy), "trade_partners": partner_rows(dyads, national)}
    return {name: merge_keep_hand_rows(load(name, data_dir=args.data_dir), rows) for name, rows in derived.items()}


def main(argv: list[str] | None = None) -> int:
    return run(build, description=__doc__.splitlines()[0], inputs={"raw-dir": DEFAULT_RAW_DIR}, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
