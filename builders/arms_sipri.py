"""Derive the arms chapter's SIPRI tables from SIPRI Arms Transfers Database CSV exports.

Run by hand from the repository root, never from a notebook:

    python -m builders.arms_sipri                       # raw exports in ../shared/raw/arms/raw/
    python -m builders.arms_sipri --raw-dir PATH        # somewhere else

It writes (and refreshes the sha256 line of each manifest beside them):

* ``data/arms_tiv_annual.csv``                 yearly TIV, USSR/Russia <-> Iran, the totals needed for shares and
                                               Russia's imports by supplier from 2022
* ``data/arms_iran_imports_by_supplier.csv``   Iran's imports by supplier, five-year periods
* ``data/arms_russia_exports_by_recipient.csv`` Soviet/Russian exports by recipient, five-year periods
* ``data/arms_deals.csv``                      the deal register, both directions, with press keys

SIPRI exports come in three layouts, each with a block of explanatory lines above the column row:

* *transfers* (one row per deal and delivery year, column ``TIV delivery values``);
* *trade register* (one row per deal; three unnamed ``?`` uncertainty columns);
* *TIV tables* (one row per country, one column per year; ``0`` means below 0.5, empty means none).

Some re-hosted copies end every line with ``;`` and use CRLF; registers are Latin-1. The parser copes
with all of that. Sums are the book's own calculation (``calculation = book_sum``) and never SIPRI's.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

if __package__ in (None, ""):  # run as `python builders/<name>.py`: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from iranrussia.data import refresh_manifest_sha256  # noqa: E402
from iranrussia.files import atomic_write_text  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
DEFAULT_RAW_DIR = REPO_ROOT.parent / "shared" / "raw" / "arms" / "raw"

# --------------------------------------------------------------------------------------------------
# Configuration: which export belongs to which SIPRI release (March of the year named).
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    release: int          # SIPRI database release year (published each March)
    kind: str             # transfers | register | tiv_import | tiv_export
    filename: str


EXPORTS: tuple[Export, ...] = (
    Export(2024, "transfers", "sipri_transfers_1950-1989_generated_2024-04-16__Andrei-Teodor-Petre_InfoVizProject.csv"),
    Export(2024, "transfers", "sipri_transfers_1990-2023_generated_2024-04-13__Andrei-Teodor-Petre_InfoVizProject.csv"),
    Export(2025, "transfers", "sipri_transfers_1995-2025_generated_2026-02-12__nagehanrdogan.csv"),
    Export(2024, "tiv_import", "sipri_tiv_import_values_1950-2024_generated_2024-10-13__MJHofmann_SIPRI_BRICS.csv"),
    Export(2024, "tiv_export", "sipri_tiv_export_values_1950-2024_generated_2024-10-13__MJHofmann_SIPRI_BRICS.csv"),
    Export(2025, "register", "sipri_trade_register_all_generated_2025-03-13__ColasDroin.csv"),
    Export(2026, "register", "sipri_trade_register_all_generated_2026-05-18__alexarui_network-analysis.csv"),
)

# Last delivery year each release covers (the 2024 TIV tables carry an empty 2024 column).
RELEASE_LAST_YEAR = {2024: 2023, 2025: 2024, 2026: 2025}
SOURCE_KEY = {2024: "sipri-atdb-2024", 2025: "sipri-atdb-2025", 2026: "sipri-atdb-2026"}

HEADER_PREFIX = {
    "transfers": "SIPRI AT Database ID,",
    "register": "Recipient,Supplier,",
    "tiv_import": "Recipient,",
    "tiv_export": "Exports by,",
}

ALL_SUPPLIERS = "All suppliers"
ALL_RECIPIENTS = "All recipients"
FIRST_YEAR = 1980
WAR_YEAR = 2022           # first year of the wartime flows (Iran -> Russia; Russia's imports by supplier)
USSR, RUSSIA, IRAN = "Soviet Union", "Russia", "Iran"

ANNUAL_COLUMNS = ["supplier", "recipient", "year", "tiv_millions", "no_deliveries_identified", "n_delivery_rows",
                  "sipri_release", "calculation", "sipri_generated", "source", "note"]
ANNUAL_KEY = ["supplier", "recipient", "year", "sipri_release", "calculation"]
PERIOD_COLUMNS = ["sipri_release", "period_start", "period_end", "supplier", "recipient", "tiv_millions",
                  "n_delivery_rows", "calculation", "source", "note"]
PERIOD_KEY = ["sipri_release", "period_start", "supplier", "recipient"]
DEAL_COLUMNS = ["deal_id", "supplier", "recipient", "weapon_designation", "weapon_description_sipri", "description",
                "weapon_category", "year_ordered", "number_ordered", "number_delivered", "delivery_years",
                "first_delivery_year", "last_delivery_year", "status", "tiv_per_unit", "tiv_delivered_millions",
                "sipri_uncertain", "sipri_release", "in_latest_release", "record", "source", "note"]
DEAL_KEY = ["deal_id"]

# ==================================================================================================
# 1. Read and parse
# ==================================================================================================


def read_text(path: Path) -> str:
    """The file's text with LF line ends; UTF-8 if it decodes, else Latin-1 (SIPRI registers)."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_generated(line: str) -> dt.date | None:
    """'Data generated: 13 Mar 2025 10:02:49 AM' -> date(2025, 3, 13)."""
    m = re.search(r"Data generated:\s*(\d{1,2} \w{3} \d{4})", line)
    return dt.datetime.strptime(m.group(1), "%d %b %Y").date() if m else None


def split_export(text: str, header_prefix: str) -> tuple[dict, str]:
    """Separate SIPRI's explanatory header block from the CSV body.

    Returns ``(meta, body)`` where ``meta`` has the ``title`` (first line) and the ``generated`` date and
    ``body`` starts with the column row. A trailing ';' on each line (some re-hosted copies) is dropped.
    """
    lines = [line[:-1] if line.endswith(";") else line for line in text.split("\n")]
    for i, line in enumerate(lines):
        if line.startswith(header_prefix):
            break
    else:
        raise ValueError(f"no column row starting with {header_prefix!r}")
    generated = None
    for line in lines[:i]:
        generated = generated or parse_generated(line)
    meta = {"title": lines[0].strip() if i else "", "generated": generated, "header_lines": i}
    return meta, "\n".join(lines[i:])


def _read_body(body: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)


def parse_transfers(body: str) -> pd.DataFrame:
    """Transfers layout -> typed frame: one row per deal and delivery year."""
    df = _read_body(body)
    need = ["SIPRI AT Database ID", "Supplier", "Recipient", "Designation", "Delivery year", "TIV delivery values"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"transfers export lacks columns {missing}")
    df = df[df["SIPRI AT Database ID"].str.strip() != ""].copy()
    df["delivery_year"] = df["Delivery year"].astype(int)
    df["tiv"] = pd.to_numeric(df["TIV delivery values"].str.strip().replace("", "0"))
    return df


def parse_register(body: str) -> pd.DataFrame:
    """Trade-register layout -> frame with the three unnamed '?' columns named after what they qualify."""
    df = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False, header=None)
    header = [str(h).strip() for h in df.iloc[0]]
    names = []
    for h in header:
        if h == "" and names:
            names.append(f"{names[-1]} uncertain")
        else:
            names.append(h)
    df = df.iloc[1:].copy()
    df.columns = names
    for col in ("Recipient", "Supplier", "Weapon designation"):
        if col not in df.columns:
            raise ValueError(f"register export lacks column {col!r}")
    return df.reset_index(drop=True)


def parse_tiv_table(body: str) -> pd.DataFrame:
    """TIV-table layout -> long frame (entity, year, value, cell). Empty cell -> value NaN."""
    df = _read_body(body)
    entity_col = df.columns[0]
    years = [c for c in df.columns if re.fullmatch(r"\d{4}", c)]
    long = df.melt(id_vars=[entity_col], value_vars=years, var_name="year", value_name="cell")
    long = long.rename(columns={entity_col: "entity"})
    long["cell"] = long["cell"].str.strip()
    long["year"] = long["year"].astype(int)
    long["value"] = pd.to_numeric(long["cell"].replace("", None))
    return long


PARSERS = {"transfers": parse_transfers, "register": parse_register,
           "tiv_import": parse_tiv_table, "tiv_export": parse_tiv_table}


def load_export(path: Path, kind: str) -> tuple[dict, pd.DataFrame]:
    meta, body = split_export(read_text(path), HEADER_PREFIX[kind])
    return meta, PARSERS[kind](body)


def load_all(raw_dir: Path, exports: tuple[Export, ...] = EXPORTS) -> dict:
    """Read every configured export. Returns {'transfers': {release: [(meta, df)]}, ...}."""
    out: dict = {}
    for exp in exports:
        path = Path(raw_dir) / exp.filename
        if not path.is_file():
            raise FileNotFoundError(f"missing SIPRI export {path}")
        meta, df = load_export(path, exp.kind)
        out.setdefault(exp.kind, {}).setdefault(exp.release, []).append((meta, df))
    return out


# ==================================================================================================
# 2. Transform
# ==================================================================================================


def fmt_num(value) -> str:
    """Plain decimal text (no exponent, no trailing zeros), rounded to 2 decimals; '' for missing."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = f"{round(float(value), 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def combine_transfers(parts: list[tuple[dict, pd.DataFrame]]) -> pd.DataFrame:
    """Stack the transfer exports of one release; each row remembers its export's generation date.

    A (deal id, delivery year) pair found in two exports of the same release is an error.
    """
    frames = []
    for meta, df in parts:
        df = df.copy()
        df["generated"] = meta["generated"].isoformat() if meta["generated"] else ""
        frames.append(df)
    allrows = pd.concat(frames, ignore_index=True)
    dup = allrows.duplicated(["SIPRI AT Database ID", "delivery_year"], keep=False)
    if dup.any():
        raise ValueError(f"{int(dup.sum())} delivery rows appear in two exports of one release")
    return allrows


def _generated_for_year(transfers: pd.DataFrame, year: int) -> str:
    """Generation date of the export whose delivery years span ``year``."""
    spans = transfers.groupby("generated")["delivery_year"].agg(["min", "max"])
    for generated, row in spans.iterrows():
        if row["min"] <= year <= row["max"]:
            return generated
    return spans.index[-1]


def dyad_book_sums(transfers: pd.DataFrame, supplier: str | None, recipient: str | None,
                   years: range) -> pd.DataFrame:
    """Sum ``TIV delivery values`` by delivery year for one supplier/recipient (None = all)."""
    sel = transfers
    if supplier is not None:
        sel = sel[sel["Supplier"] == supplier]
    if recipient is not None:
        sel = sel[sel["Recipient"] == recipient]
    grouped = sel.groupby("delivery_year")["tiv"].agg(["sum", "count"])
    rows = []
    for y in years:
        total = float(grouped.loc[y, "sum"]) if y in grouped.index else 0.0
        n = int(grouped.loc[y, "count"]) if y in grouped.index else 0
        rows.append({"year": y, "tiv": total, "n": n})
    return pd.DataFrame(rows)


def annual_rows_book_sum(transfers: pd.DataFrame, release: int, supplier: str | None, recipient: str | None,
                         years: range) -> list[dict]:
    sums = dyad_book_sums(transfers, supplier, recipient, years)
    out = []
    for r in sums.itertuples():
        note = (f"Book's sum of {r.n} SIPRI delivery row(s); not a SIPRI figure" if r.n
                else "No SIPRI delivery row for this pair and year")
        out.append({
            "supplier": supplier or ALL_SUPPLIERS, "recipient": recipient or ALL_RECIPIENTS, "year": r.year,
            "tiv_millions": fmt_num(r.tiv), "no_deliveries_identified": "false" if r.n else "true",
            "n_delivery_rows": str(r.n), "sipri_release": str(release), "calculation": "book_sum",
            "sipri_generated": _generated_for_year(transfers, r.year), "source": SOURCE_KEY[release], "note": note,
        })
    return out


def annual_rows_table(table: pd.DataFrame, generated: dt.date | None, release: int, entity: str,
                      direction: str, years: range) -> list[dict]:
    """Rows copied from a SIPRI TIV table ('imports' of a recipient or 'exports' of a supplier)."""
    sel = table[table["entity"] == entity].set_index("year")
    if sel.empty:
        raise ValueError(f"TIV table has no row for {entity!r}")
    out = []
    for y in years:
        cell = sel.loc[y, "cell"] if y in sel.index else ""
        if cell == "":
            value, none, note = 0.0, "true", "Empty cell in SIPRI's TIV table: no deliveries identified"
        else:
            value = float(cell)
            none = "false"
            note = ("SIPRI's TIV table shows 0: deliveries between 0 and 0.5" if value == 0
                    else "Value as printed in SIPRI's TIV table (whole numbers)")
        supplier, recipient = (ALL_SUPPLIERS, entity) if direction == "imports" else (entity, ALL_RECIPIENTS)
        out.append({
            "supplier": supplier, "recipient": recipient, "year": y, "tiv_millions": fmt_num(value),
            "no_deliveries_identified": none, "n_delivery_rows": "", "sipri_release": str(release),
            "calculation": "sipri_table", "sipri_generated": generated.isoformat() if generated else "",
            "source": SOURCE_KEY[release], "note": note,
        })
    return out


def russia_suppliers_since_war(exports: dict) -> list[str]:
    """Every supplier with a delivery to Russia from WAR_YEAR on, in any release (so each release gets the
    same series, zeros included)."""
    names: set[str] = set()
    for parts in exports["transfers"].values():
        tr = combine_transfers(parts)
        names |= set(tr.loc[(tr["Recipient"] == RUSSIA) & (tr["delivery_year"] >= WAR_YEAR), "Supplier"])
    return sorted(names)


def build_annual(exports: dict) -> pd.DataFrame:
    """Table 1: yearly TIV, one series per (pair, release, calculation)."""
    rows: list[dict] = []
    russia_suppliers = russia_suppliers_since_war(exports)
    for release, parts in sorted(exports["transfers"].items()):
        tr = combine_transfers(parts)
        first = max(FIRST_YEAR, int(tr["delivery_year"].min()))
        last = RELEASE_LAST_YEAR[release]
        # USSR until 1991, Russia from 1992 (SIPRI's convention); only years this release covers.
        rows += annual_rows_book_sum(tr, release, USSR, IRAN, range(first, min(1991, last) + 1))
        rows += annual_rows_book_sum(tr, release, RUSSIA, IRAN, range(max(first, 1992), last + 1))
        # Russia's imports since the war, by supplier (Iran among them) and in total: who supplies Moscow.
        for supplier in russia_suppliers:
            rows += annual_rows_book_sum(tr, release, supplier, RUSSIA, range(max(first, WAR_YEAR), last + 1))
        rows += annual_rows_book_sum(tr, release, None, RUSSIA, range(max(first, WAR_YEAR), last + 1))
        rows += annual_rows_book_sum(tr, release, None, IRAN, range(first, last + 1))
        rows += annual_rows_book_sum(tr, release, IRAN, None, range(max(first, 2022), last + 1))
        rows += annual_rows_book_sum(tr, release, USSR, None, range(first, min(1991, last) + 1))
        rows += annual_rows_book_sum(tr, release, RUSSIA, None, range(max(first, 1992), last + 1))
    for kind, direction in (("tiv_import", "imports"), ("tiv_export", "exports")):
        for release, parts in sorted(exports.get(kind, {}).items()):
            last = RELEASE_LAST_YEAR[release]
            for meta, table in parts:
                if direction == "imports":
                    rows += annual_rows_table(table, meta["generated"], release, IRAN, "imports",
                                              range(FIRST_YEAR, last + 1))
                    rows += annual_rows_table(table, meta["generated"], release, RUSSIA, "imports",
                                              range(WAR_YEAR, last + 1))
                else:
                    rows += annual_rows_table(table, meta["generated"], release, USSR, "exports",
                                              range(FIRST_YEAR, 1992))
                    rows += annual_rows_table(table, meta["generated"], release, RUSSIA, "exports",
                                              range(1992, last + 1))
                    rows += annual_rows_table(table, meta["generated"], release, IRAN, "exports",
                                              range(2022, last + 1))
    return pd.DataFrame(rows, columns=ANNUAL_COLUMNS)


def five_year_periods(first: int, last: int) -> list[tuple[int, int]]:
    """Complete five-year periods starting on years ending in 0 or 5, inside [first, last]."""
    start = first + (-first) % 5
    return [(s, s + 4) for s in range(start, last - 3, 5) if s + 4 <= last]


def period_rows(transfers: pd.DataFrame, release: int, by: str, fixed: dict, periods: list[tuple[int, int]]
                ) -> list[dict]:
    """Sum TIV by ``by`` (Supplier or Recipient) within each period, for rows matching ``fixed``."""
    sel = transfers
    for col, values in fixed.items():
        sel = sel[sel[col].isin(values)]
    out = []
    for p0, p1 in periods:
        part = sel[(sel["delivery_year"] >= p0) & (sel["delivery_year"] <= p1)]
        grouped = part.groupby(["Supplier", "Recipient"])["tiv"].agg(tiv_sum="sum", n_rows="count").reset_index()
        for r in grouped.itertuples():
            out.append({
                "sipri_release": str(release), "period_start": str(p0), "period_end": str(p1),
                "supplier": r.Supplier, "recipient": r.Recipient, "tiv_millions": fmt_num(r.tiv_sum),
                "n_delivery_rows": str(r.n_rows), "calculation": "book_sum", "source": SOURCE_KEY[release],
                "note": f"Book's sum of SIPRI delivery rows for {p0}-{p1}; not a SIPRI figure",
            })
    return out


def build_periods(exports: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 2: Iran's imports by supplier and USSR/Russia's exports by recipient, five-year periods."""
    imports, exports_ = [], []
    for release, parts in sorted(exports["transfers"].items()):
        tr = combine_transfers(parts)
        first = max(FIRST_YEAR, int(tr["delivery_year"].min()))
        periods = five_year_periods(first, RELEASE_LAST_YEAR[release])
        imports += period_rows(tr, release, "Supplier", {"Recipient": [IRAN]}, periods)
        exports_ += period_rows(tr, release, "Recipient", {"Supplier": [USSR, RUSSIA]}, periods)
    return (pd.DataFrame(imports, columns=PERIOD_COLUMNS), pd.DataFrame(exports_, columns=PERIOD_COLUMNS))


# ---------------------------------------------------------------- deal register -----------------

CODES = {USSR: "SU", RUSSIA: "RU", IRAN: "IR", "Belarus": "BY"}

# weapon_category from SIPRI's weapon description: first matching pattern wins.
CATEGORY_RULES = [
    (r"drone|UAV", "uav"),
    (r"helicopter", "helicopter"),
    (r"aircraft", "aircraft"),
    (r"SAM system|surface-to-air missile system|air-defence system", "air_defence_system"),
    (r"missile", "missile"),
    (r"radar|air-search system|air search system", "sensor"),
    (r"turret", "turret"),
    (r"tank|infantry fighting vehicle|armoured personnel carrier|APC|IFV\b", "armoured_vehicle"),
    (r"submarine|ship|frigate|corvette|boat", "naval"),
    (r"gun|howitzer|mortar|rocket launcher", "artillery"),
    (r"engine", "engine"),
]

# Descriptions in the book's words for the deals the chapter discusses; others get a plain template.
DESCRIPTIONS = {
    "MiG-29": "MiG-29 fighters, Iran's first new Soviet combat jets after the Iran-Iraq war",
    "Su-24": "Su-24MK strike aircraft delivered in the last year of the Soviet Union",
    "Project-877E": "Kilo-class diesel-electric submarine (Iranian name Tareq)",
    "T-72M1": "T-72S tanks, partly assembled in Iran",
    "BMP-2": "BMP-2 infantry fighting vehicles, partly assembled in Iran",
    "Tor-M1": "Tor-M1 short-range air-defence systems",
    "9M338": "Missiles for the Tor-M1 air-defence systems",
    "S-300PMU2 Favorit": "S-300PMU2 long-range air-defence systems that replaced the cancelled 2007 order",
    "48N6": "Missiles for the S-300PMU2 systems",
    "64N6": "Radars for the S-300PMU2 systems",
    "Yak-130": "Yak-130 jet trainers (light combat capable)",
    "Su-35S": "Su-35 fighters built for Egypt and offered to Iran",
    "Mi-28N": "Mi-28NE attack helicopters",
    "Mi-17": "Mi-17/Mi-171 transport helicopters",
    "Su-25": "Su-25 ground-attack aircraft for the Revolutionary Guard",
    "Shahed-131": "Shahed-131 one-way attack drones (Russian name Geran-1)",
    "Shahed-136": "Shahed-136 one-way attack drones (Russian name Geran-2), later also made in Russia",
    "Mohajer-6": "Mohajer-6 armed reconnaissance drones",
    "Fath-360": "Fath-360 short-range ballistic missiles",
    "Shahed-238": "Jet-powered Shahed-238 attack drones",
}

# Press corroboration (bibliography keys) and the book's notes, per (supplier, recipient, designation).
PRESS = {
    (RUSSIA, IRAN, "Tor-M1"): (["ap-2007-tor-m1-delivery-complete"],
                               "Russian exporter said in Jan 2007 that the 29 systems were fully delivered"),
    (RUSSIA, IRAN, "S-300PMU2 Favorit"): (
        ["reuters-2016-s300-first-part", "interfax-2016-s300-first-shipment"],
        "First shipment announced Apr 2016; Interfax put the package at four battalions worth about US$1 bn"),
    (RUSSIA, IRAN, "Yak-130"): (["tass-2023-yak130-received", "sputnik-2023-farahi-aircraft"],
                                "Arrival reported by Iranian media in Sep 2023 without a number"),
    (RUSSIA, IRAN, "Su-35S"): (
        ["shephard-2023-su35-imminent", "sputnik-2023-farahi-aircraft", "salaamtimes-2023-su35-not-delivered"],
        "Iranian officials announced imminent deliveries in 2023; no delivery is documented by SIPRI or the "
        "press items checked. SIPRI's 2025 release listed 24 ordered, the 2026 release leaves the number blank"),
    (RUSSIA, IRAN, "Mi-28N"): (["sputnik-2023-farahi-aircraft", "portfolio-2026-mi28-photos"],
                               "Iran's deputy defence minister said in Nov 2023 the purchase was settled; SIPRI "
                               "records no delivery yet; photos published in Jan 2026 suggest the first arrived, "
                               "without official confirmation"),
    (IRAN, RUSSIA, "Shahed-136"): (
        ["interfaxua-2022-budanov-shahed-contract", "novayagazeta-2022-first-shahed-downed"],
        "Ukrainian intelligence said in Dec 2022 that Russia had bought 1700 from Iran under a summer 2022 "
        "contract. SIPRI's delivered count includes drones assembled or made under licence in Russia"),
    (IRAN, RUSSIA, "Shahed-131"): (["novayagazeta-2022-first-shahed-downed"], ""),
    (IRAN, RUSSIA, "Mohajer-6"): (["novayagazeta-2022-first-shahed-downed"], ""),
    (IRAN, RUSSIA, "Fath-360"): (["fdd-2024-blinken-missile-transfers", "almonitor-2024-us-confirms-missiles"],
                                 "US Secretary of State said on 10 Sep 2024 that Russia had received shipments"),
}

# The book's own notes on what SIPRI's register says about a deal (paraphrased, not quoted).
NOTES = {
    (USSR, IRAN, "MiG-29"): "SIPRI thinks some of these jets may have been used ones",
    (RUSSIA, IRAN, "Project-877E"): "Contracted with the Soviet Union, handed over by Russia after 1991; SIPRI "
                                    "cites a US$750 m price for two boats",
    (RUSSIA, IRAN, "T-72M1"): "SIPRI: far more were planned (about 1000) than the 422 it counts, most of them "
                              "put together in Iran",
    (RUSSIA, IRAN, "BMP-2"): "SIPRI: a 1500-vehicle plan of which it counts 413, most assembled in Iran",
    (RUSSIA, IRAN, "S-300PMU2 Favorit"): "SIPRI gives about US$1 bn for the package",
    (RUSSIA, IRAN, "Tor-M1"): "SIPRI gives US$700 m within a larger package",
    (RUSSIA, IRAN, "Mi-28N"): "SIPRI expects the first deliveries in 2026",
    (IRAN, RUSSIA, "Shahed-136"): "SIPRI 2026 release: 6600 delivered 2022-2025 valued at 0.04 TIV each; the 2025 "
                                  "release had 4600 delivered to 2024 at 0.1 TIV each and 6600 ordered",
    (IRAN, "Belarus", "Shahed-136"): "Belarus calls it Kochevnik; SIPRI thinks it may be assembled there",
    (IRAN, RUSSIA, "Shahed-238"): "No delivery recorded",
}

# Deals the press documents but SIPRI does not list as a row of their own (written in the book's words).
PRESS_ONLY_DEALS = [
    {
        "deal_id": "RU-IR-2007-s-300pmu-1", "supplier": RUSSIA, "recipient": IRAN,
        "weapon_designation": "S-300PMU-1", "weapon_description_sipri": "",
        "description": "S-300PMU-1 long-range air-defence systems (five battalions) ordered in 2007",
        "weapon_category": "air_defence_system", "year_ordered": "2007", "number_ordered": "5",
        "number_delivered": "0", "delivery_years": "", "first_delivery_year": "", "last_delivery_year": "",
        "status": "cancelled", "tiv_per_unit": "", "tiv_delivered_millions": "", "sipri_uncertain": "false",
        "sipri_release": "", "in_latest_release": "false",
        "source": "foxnews-2010-medvedev-s300;interfax-2016-s300-first-shipment;sipri-atdb-2026",
        "note": "Banned by presidential decree on 22 Sep 2010 after UN Security Council resolution 1929; Interfax "
                "says the contract was annulled and the advance refunded. Number ordered counts battalions. SIPRI "
                "mentions the cancelled order only in its note on the 2015 S-300PMU2 deal",
    },
    {
        "deal_id": "IR-RU-2022-artillery-shells", "supplier": IRAN, "recipient": RUSSIA,
        "weapon_designation": "artillery shells", "weapon_description_sipri": "",
        "description": "Artillery shells shipped across the Caspian Sea",
        "weapon_category": "ammunition", "year_ordered": "", "number_ordered": "",
        "number_delivered": "300000", "delivery_years": "2022-2023", "first_delivery_year": "2022",
        "last_delivery_year": "2023", "status": "reported_unconfirmed", "tiv_per_unit": "",
        "tiv_delivered_millions": "", "sipri_uncertain": "false", "sipri_release": "", "in_latest_release": "false",
        "source": "iranwatch-2023-wsj-caspian-ammunition",
        "note": "Wall Street Journal (Apr 2023), citing Middle East officials: more than 300000 shells in the six "
                "months before the report; a lower bound. SIPRI does not cover ammunition",
    },
    {
        "deal_id": "IR-RU-2022-small-arms-rounds", "supplier": IRAN, "recipient": RUSSIA,
        "weapon_designation": "small-arms ammunition", "weapon_description_sipri": "",
        "description": "Rounds of small-arms ammunition shipped across the Caspian Sea",
        "weapon_category": "ammunition", "year_ordered": "", "number_ordered": "",
        "number_delivered": "1000000", "delivery_years": "2022-2023", "first_delivery_year": "2022",
        "last_delivery_year": "2023", "status": "reported_unconfirmed", "tiv_per_unit": "",
        "tiv_delivered_millions": "", "sipri_uncertain": "false", "sipri_release": "", "in_latest_release": "false",
        "source": "iranwatch-2023-wsj-caspian-ammunition",
        "note": "Same Wall Street Journal report: about one million rounds over the same six months. Not a SIPRI "
                "category",
    },
    {
        "deal_id": "RU-IR-2025-verba",
        "supplier": "Russia",
        "recipient": "Iran",
        "weapon_designation": "Verba (9M336 missiles)",
        "weapon_description_sipri": "",
        "description": ("Verba man-portable air-defence systems, reported as 500 launch units with 2500 9M336 missiles, to "
                "rebuild Iranian air defences after the June 2025 strikes"),
        "weapon_category": "missile",
        "year_ordered": "2025",
        "number_ordered": "2500",
        "number_delivered": "",
        "delivery_years": "",
        "first_delivery_year": "",
        "last_delivery_year": "",
        "status": "reported_unconfirmed",
        "tiv_per_unit": "",
        "tiv_delivered_millions": "",
        "sipri_uncertain": "false",
        "sipri_release": "",
        "in_latest_release": "false",
        "source": "kyivindependent-2026-ft-verba-deal;fakti-2026-ft-verba-details",
        "note": ("Financial Times (22 Feb 2026), from leaked Russian documents and unnamed sources, as relayed by the "
                "Kyiv Independent and Fakti: contract signed in Moscow in December 2025 between Rosoboronexport and "
                "Iran's defence ministry (MODAFL), worth about EUR 500 million (USD 589 million per the Kyiv "
                "Independent); Iran asked for the systems in July 2025. Number ordered counts missiles; the contract "
                "also covers 500 launch units and, per Fakti, 500 Mowgli-2 night sights. Deliveries planned in three "
                "tranches 2027-2029; one FT source suggested some may already have arrived. Neither government "
                "confirmed; not in SIPRI's March 2026 release (too recent)"),
    },
]


def describe(designation: str, sipri_desc: str) -> str:
    """The book's description of a deal: hand-written for the main deals, else a plain template."""
    if designation in DESCRIPTIONS:
        return DESCRIPTIONS[designation]
    text = sipri_desc[:1].upper() + sipri_desc[1:]
    return text if designation.lower() == sipri_desc.lower() else f"{text} ({designation})"


def condense_years(years: list[int]) -> str:
    """[1993, 1994, 1996, 1997] -> '1993-1994, 1996-1997'; single years stay single."""
    years = sorted(set(years))
    runs, start, prev = [], None, None
    for y in years:
        if start is None:
            start = prev = y
        elif y == prev + 1:
            prev = y
        else:
            runs.append((start, prev))
            start = prev = y
    if start is not None:
        runs.append((start, prev))
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def parse_year_list(cell: str) -> list[int]:
    return [int(y) for y in re.findall(r"\d{4}", cell or "")]


def weapon_category(description: str) -> str:
    for pattern, category in CATEGORY_RULES:
        if re.search(pattern, description, flags=re.IGNORECASE):
            return category
    return "other"


def deal_status(number_ordered: str, number_delivered: str) -> str:
    """delivered: all ordered units delivered; partial: some delivered but fewer than ordered, or the
    number ordered is unknown (open-ended deal); ordered: none delivered yet."""
    delivered = int(number_delivered or 0)
    if delivered == 0:
        return "ordered"
    if number_ordered == "":
        return "partial"
    return "delivered" if delivered >= int(number_ordered) else "partial"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def in_scope(reg: pd.DataFrame) -> pd.DataFrame:
    """Register rows of the chapter: USSR/Russia -> Iran ordered 1980 or later, Iran -> Russia/Belarus."""
    year = pd.to_numeric(reg["Year of order"], errors="coerce")
    to_iran = reg["Supplier"].isin([USSR, RUSSIA]) & (reg["Recipient"] == IRAN) & (year >= FIRST_YEAR)
    from_iran = (reg["Supplier"] == IRAN) & reg["Recipient"].isin([RUSSIA, "Belarus"])
    return reg[to_iran | from_iran].copy()


def _match_key(row) -> tuple:
    return (row["Supplier"], row["Recipient"], row["Year of order"], row["Number delivered"],
            row.get("SIPRI TIV per unit", ""))


def register_to_deals(reg: pd.DataFrame, release: int, record: str) -> list[dict]:
    """One deal row per register row; ``record`` is current (newest release) or dropped (older release only)."""
    rows = []
    for _, r in reg.iterrows():
        years = parse_year_list(r["Year(s) of delivery"])
        designation = r["Weapon designation"].strip()
        sipri_desc = r["Weapon description"].strip()
        key = (r["Supplier"], r["Recipient"], designation)
        press_keys, press_note = PRESS.get(key, ([], ""))
        flags = [r.get(c, "") for c in r.index if c.endswith("uncertain")]
        note_parts = [NOTES[key]] if key in NOTES else []
        if press_note:
            note_parts.append(press_note)
        if record == "dropped":
            note_parts.append(f"Listed in SIPRI's {release} release but not in the 2026 release")
        rows.append({
            "supplier": r["Supplier"], "recipient": r["Recipient"], "weapon_designation": designation,
            "weapon_description_sipri": sipri_desc,
            "description": describe(designation, sipri_desc),
            "weapon_category": weapon_category(sipri_desc), "year_ordered": r["Year of order"].strip(),
            "number_ordered": r["Number ordered"].strip(), "number_delivered": (r["Number delivered"].strip() or "0"),
            "delivery_years": condense_years(years), "first_delivery_year": str(min(years)) if years else "",
            "last_delivery_year": str(max(years)) if years else "",
            "status": deal_status(r["Number ordered"].strip(), r["Number delivered"].strip()),
            "tiv_per_unit": fmt_num(pd.to_numeric(r["SIPRI TIV per unit"] or None)),
            "tiv_delivered_millions": fmt_num(pd.to_numeric(r["SIPRI TIV of delivered weapons"] or None)),
            "sipri_uncertain": "true" if any(str(f).strip() == "?" for f in flags) else "false",
            "sipri_release": str(release), "in_latest_release": "true" if record == "current" else "false",
            "record": record,
            "source": ";".join([SOURCE_KEY[release]] + press_keys), "note": "; ".join(note_parts),
        })
    return rows


def assign_deal_ids(deals: pd.DataFrame) -> pd.DataFrame:
    """SU|RU|IR-IR|RU|BY-<order year>-<designation slug>, with -1, -2 ... where a key repeats."""
    deals = deals.copy()
    base = [f"{CODES[s]}-{CODES[r]}-{y}-{slug(d)}" for s, r, y, d in
            zip(deals["supplier"], deals["recipient"], deals["year_ordered"], deals["weapon_designation"])]
    deals["deal_id"] = base
    counts = pd.Series(base).value_counts()
    order = deals.assign(_fy=pd.to_numeric(deals["first_delivery_year"], errors="coerce")).sort_values(
        ["deal_id", "_fy"], kind="mergesort")
    seen: dict[str, int] = {}
    for idx in order.index:
        b = deals.at[idx, "deal_id"]
        if counts[b] > 1:
            seen[b] = seen.get(b, 0) + 1
            deals.at[idx, "deal_id"] = f"{b}-{seen[b]}"
    return deals


def dropped_rows(older: pd.DataFrame, latest: pd.DataFrame) -> pd.DataFrame:
    """Rows of an older register that have no counterpart in the latest one.

    Rows are paired one-to-one on (supplier, recipient, order year, designation); within a pair group the
    number delivered decides which older rows found a partner. Older rows left over are tried once more on
    (supplier, recipient, order year, number delivered, TIV per unit), which catches renamed designations.
    """
    def key(r):
        return (r["Supplier"], r["Recipient"], r["Year of order"], r["Weapon designation"].strip())

    latest_groups: dict = {}
    for _, r in latest.iterrows():
        latest_groups.setdefault(key(r), []).append(r["Number delivered"])
    leftover = []
    for k, group in older.groupby(older.apply(key, axis=1), sort=False):
        pool = list(latest_groups.get(k, []))
        if len(group) <= len(pool):
            continue
        for idx, r in group.iterrows():
            if r["Number delivered"] in pool:
                pool.remove(r["Number delivered"])
            else:
                leftover.append(idx)
    fallback = {_match_key(r) for _, r in latest.iterrows()}
    keep = [i for i in leftover if _match_key(older.loc[i]) not in fallback]
    return older.loc[keep]


def build_deals(exports: dict) -> pd.DataFrame:
    """Table 3: deals from the newest register, deals dropped since the previous one, press-only deals."""
    registers = exports["register"]
    latest_release = max(registers)
    latest = in_scope(registers[latest_release][0][1])
    rows = register_to_deals(latest, latest_release, record="current")
    for release in sorted(registers, reverse=True):
        if release == latest_release:
            continue
        older = in_scope(registers[release][0][1])
        rows += register_to_deals(dropped_rows(older, latest), release, record="dropped")
    deals = assign_deal_ids(pd.DataFrame(rows))
    deals = pd.concat([deals, superseded_versions(exports, deals, latest_release)], ignore_index=True)
    press_only = pd.DataFrame(PRESS_ONLY_DEALS).assign(record="press_only")
    deals = pd.concat([deals, press_only], ignore_index=True)
    return deals[DEAL_COLUMNS]


# Fields whose change between releases makes an older release's version of a deal worth keeping.
VERSION_FIELDS = ["number_ordered", "number_delivered", "delivery_years", "tiv_per_unit"]


def transfers_as_register(tr: pd.DataFrame) -> pd.DataFrame:
    """Per-delivery-year rows of a transfers export summed to one register-like row per SIPRI deal.

    The transfers layout has no number ordered, so that column stays empty; a deal is uncertain when any of
    its rows marks the order date, the number or the year as an estimate.
    """
    rows = []
    for _, g in tr.groupby("SIPRI AT Database ID", sort=True):
        first = g.iloc[0]
        units = sorted(set(g["TIV deal unit"].str.strip()))
        estimate = g[["Order date is estimate", "Numbers delivered is estimate", "Delivery year is estimate"]]
        rows.append({
            "Supplier": first["Supplier"], "Recipient": first["Recipient"],
            "Year of order": first["Order date"].strip(), "Number ordered": "",
            "Weapon designation": first["Designation"], "Weapon description": first["Description"],
            "Number delivered": str(int(pd.to_numeric(g["Numbers delivered"]).sum())),
            "Year(s) of delivery": "; ".join(str(y) for y in sorted(g["delivery_year"])),
            "SIPRI TIV per unit": units[0] if len(units) == 1 else "",
            "SIPRI TIV of delivered weapons": fmt_num(g["tiv"].sum()),
            "Number delivered uncertain": "?" if (estimate == "Yes").any().any() else "",
        })
    return pd.DataFrame(rows)


def superseded_versions(exports: dict, current: pd.DataFrame, latest_release: int) -> pd.DataFrame:
    """Older releases' versions of the wartime deals (ordered from WAR_YEAR on), where their numbers differ.

    SIPRI revises its figures each spring; for the deals the war brought (Shahed drones, Fath-360, Yak-130,
    Su-35S ...) the revisions are themselves a finding, so each older version that differs from the next
    newer one in VERSION_FIELDS is kept as its own row (record = superseded, deal id + '-r<release>').
    Sources: older registers, and the transfers export of a release that has no register here.
    """
    versions: dict[int, tuple[pd.DataFrame, bool]] = {}      # release -> (register-like rows, from transfers?)
    for release, parts in exports.get("register", {}).items():
        if release != latest_release:
            versions[release] = (in_scope(parts[0][1]), False)
    for release, parts in exports.get("transfers", {}).items():
        if release not in versions and release != latest_release:
            versions[release] = (in_scope(transfers_as_register(combine_transfers(parts))), True)
    wartime = current[(current["record"] == "current")
                      & (pd.to_numeric(current["year_ordered"], errors="coerce") >= WAR_YEAR)]
    key = ["supplier", "recipient", "year_ordered", "weapon_designation"]
    newer = wartime.set_index(key)
    out = []
    for release in sorted(versions, reverse=True):
        rows, from_transfers = versions[release]
        older = pd.DataFrame(register_to_deals(rows, release, record="superseded"))
        if older.empty:
            continue
        older = older[pd.to_numeric(older["year_ordered"], errors="coerce") >= WAR_YEAR]
        kept = {}
        for _, row in older.iterrows():
            k = tuple(row[c] for c in key)
            if k not in newer.index:
                continue       # not in the newest release: handled as a dropped deal, if at all
            ref = newer.loc[k]
            # a transfers export has no number ordered at all, so its blank is no revision
            changed = [f for f in VERSION_FIELDS
                       if row[f] != ref[f] and not (from_transfers and f == "number_ordered")]
            if not changed:
                continue
            base = wartime.loc[(wartime[key] == pd.Series(k, index=key)).all(axis=1), "deal_id"].iloc[0]
            row = row.copy()
            row["deal_id"] = f"{base}-r{release}"
            # the book's own fields follow the deal, SIPRI's fields stay as that release had them
            row["description"], row["weapon_category"] = ref["description"], ref["weapon_category"]
            row["source"] = SOURCE_KEY[release]
            origin = "per-delivery export, which gives no number ordered" if from_transfers else "trade register"
            row["note"] = (f"The deal as SIPRI's {release} release recorded it ({origin}); later releases changed "
                           + ", ".join(c.replace("_", " ") for c in changed))
            out.append(row)
            kept[k] = row
        # the next older release is compared with this one where this one was kept
        for k, row in kept.items():
            newer.loc[k, VERSION_FIELDS] = [row[f] for f in VERSION_FIELDS]
    return pd.DataFrame(out, columns=DEAL_COLUMNS) if out else pd.DataFrame(columns=DEAL_COLUMNS)


# ==================================================================================================
# 3. Validate
# ==================================================================================================


def check_unique(df: pd.DataFrame, key: list[str], name: str) -> None:
    dup = df.duplicated(key, keep=False)
    if dup.any():
        raise ValueError(f"{name}: duplicate primary key rows:\n{df[dup]}")


def validate_annual(df: pd.DataFrame, tolerance: float = 1.0) -> None:
    """Keys unique; book sums agree with SIPRI's table of the same release within ``tolerance`` TIV."""
    check_unique(df, ANNUAL_KEY, "arms_tiv_annual")
    num = df.assign(v=pd.to_numeric(df["tiv_millions"]))
    if (num["v"] < 0).any():
        raise ValueError("arms_tiv_annual: negative TIV")
    k = ["supplier", "recipient", "year", "sipri_release"]
    both = num[num["calculation"] == "book_sum"].merge(num[num["calculation"] == "sipri_table"], on=k,
                                                       suffixes=("_sum", "_table"))
    bad = both[(both["v_sum"] - both["v_table"]).abs() > tolerance]
    if not bad.empty:
        raise ValueError(f"book sums differ from SIPRI's table by more than {tolerance}:\n{bad[k]}")


def validate_periods(df: pd.DataFrame, name: str) -> None:
    check_unique(df, PERIOD_KEY, name)
    if (pd.to_numeric(df["period_end"]) - pd.to_numeric(df["period_start"]) != 4).any():
        raise ValueError(f"{name}: a period is not five years long")


def validate_deals(df: pd.DataFrame) -> None:
    check_unique(df, DEAL_KEY, "arms_deals")
    bad = df[~df["deal_id"].str.fullmatch(r"(SU|RU|IR)-(IR|RU|BY)-\d{4}-[a-z0-9-]+")]
    if not bad.empty:
        raise ValueError(f"arms_deals: malformed deal ids {bad['deal_id'].tolist()}")
    sipri = df[df["sipri_release"] != ""]
    over = sipri[pd.to_numeric(sipri["number_delivered"]) > pd.to_numeric(sipri["number_ordered"].replace("", None))]
    if not over.empty:
        raise ValueError(f"arms_deals: more delivered than ordered: {over['deal_id'].tolist()}")


# ==================================================================================================
# 4. Write
# ==================================================================================================


def write_csv(df: pd.DataFrame, path: Path, columns: list[str], sort: list[str]) -> str:
    out = df[columns].fillna("").astype(str)
    out = out.sort_values(sort, kind="mergesort", key=lambda s: s.map(_sort_key)).reset_index(drop=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Whole file or nothing: a half-written CSV under the old manifest would pass for damaged data.
    atomic_write_text(path, out.to_csv(index=False, lineterminator="\n"))
    return refresh_manifest_sha256(path)


def _sort_key(value: str):
    return (0, int(value), "") if re.fullmatch(r"\d+", str(value)) else (1, 0, str(value))


def build_all(raw_dir: Path, config: tuple[Export, ...] = EXPORTS) -> dict[str, pd.DataFrame]:
    """Read, transform and validate; returns the four tables (nothing is written)."""
    exports = load_all(raw_dir, config)
    annual = build_annual(exports)
    imports, russia = build_periods(exports)
    deals = build_deals(exports)
    validate_annual(annual)
    validate_periods(imports, "arms_iran_imports_by_supplier")
    validate_periods(russia, "arms_russia_exports_by_recipient")
    validate_deals(deals)
    return {"arms_tiv_annual": annual, "arms_iran_imports_by_supplier": imports,
            "arms_russia_exports_by_recipient": russia, "arms_deals": deals}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--raw-dir", type=Path, default=DEFAULT_RAW_DIR)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    tables = build_all(args.raw_dir)
    layout = {
        "arms_tiv_annual": (ANNUAL_COLUMNS, ["supplier", "recipient", "calculation", "sipri_release", "year"]),
        "arms_iran_imports_by_supplier": (PERIOD_COLUMNS, ["sipri_release", "period_start", "supplier"]),
        "arms_russia_exports_by_recipient": (PERIOD_COLUMNS, ["sipri_release", "period_start", "supplier",
                                                              "recipient"]),
        "arms_deals": (DEAL_COLUMNS, ["deal_id"]),
    }
    for name, df in tables.items():
        columns, sort = layout[name]
        digest = write_csv(df, args.data_dir / f"{name}.csv", columns, sort)
        print(f"{name}: {len(df)} rows, sha256 {digest[:12]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
