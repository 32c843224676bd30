"""Read the SIPRI Arms Transfers Database exports: the three layouts, each export read and normalised once.

SIPRI exports come in three layouts, each with a block of explanatory lines above the column row:

* *transfers* (one row per deal and delivery year, column ``TIV delivery values``);
* *trade register* (one row per deal; three unnamed ``?`` uncertainty columns);
* *TIV tables* (one row per country, one column per year; ``0`` means below 0.5, empty means none).

Some re-hosted copies end every line with ``;`` and use CRLF; registers are Latin-1. The parser copes
with all of that. :func:`load_all` reads every configured export once and gives, per release, one frame of
all its delivery rows, its trade register and its TIV tables (:class:`Exports`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

# --------------------------------------------------------------------------------------------------
# Configuration: which export belongs to which SIPRI release (March of the year named).
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    release: int  # SIPRI database release year (published each March)
    kind: str  # transfers | register | tiv_import | tiv_export
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

HEADER_PREFIX = {
    "transfers": "SIPRI AT Database ID,",
    "register": "Recipient,Supplier,",
    "tiv_import": "Recipient,",
    "tiv_export": "Exports by,",
}

DEAL_ID = "SIPRI AT Database ID"


# --------------------------------------------------------------------------------------------------
# One file
# --------------------------------------------------------------------------------------------------


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
    i = next((n for n, line in enumerate(lines) if line.startswith(header_prefix)), None)
    if i is None:
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
    need = [DEAL_ID, "Supplier", "Recipient", "Designation", "Delivery year", "TIV delivery values"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"transfers export lacks columns {missing}")
    df = df[df[DEAL_ID].str.strip() != ""].copy()
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


PARSERS = {
    "transfers": parse_transfers,
    "register": parse_register,
    "tiv_import": parse_tiv_table,
    "tiv_export": parse_tiv_table,
}


def load_export(path: Path, kind: str) -> tuple[dict, pd.DataFrame]:
    meta, body = split_export(read_text(path), HEADER_PREFIX[kind])
    return meta, PARSERS[kind](body)


# --------------------------------------------------------------------------------------------------
# All files, by release
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TivTable:
    generated: dt.date | None  # from the export's header
    table: pd.DataFrame  # long: entity, year, cell, value


@dataclass(frozen=True)
class Exports:
    """Every configured export, read once: what the stages build from."""

    transfers: dict[int, pd.DataFrame]  # release -> all its delivery rows (``combine_transfers``)
    registers: dict[int, pd.DataFrame]  # release -> its trade register
    tiv_tables: dict[str, dict[int, list[TivTable]]]  # 'tiv_import' | 'tiv_export' -> release -> tables

    @property
    def latest_register(self) -> int:
        """The newest release with a trade register: the one the deal register follows."""
        return max(self.registers)


def combine_transfers(parts: list[tuple[dict, pd.DataFrame]]) -> pd.DataFrame:
    """Stack the transfer exports of one release; each row remembers its export's generation date.

    A (deal id, delivery year) pair found in two exports of the same release is an error.
    """
    frames = []
    for meta, df in parts:
        df = df.copy()
        df["generated"] = meta["generated"]
        frames.append(df)
    allrows = pd.concat(frames, ignore_index=True)
    dup = allrows.duplicated([DEAL_ID, "delivery_year"], keep=False)
    if dup.any():
        raise ValueError(f"{int(dup.sum())} delivery rows appear in two exports of one release")
    return allrows


def load_all(raw_dir: Path, exports: tuple[Export, ...] = EXPORTS) -> Exports:
    """Read every configured export once; the transfer exports of a release are combined into one frame."""
    parts: dict[str, dict[int, list[tuple[dict, pd.DataFrame]]]] = {}
    for exp in exports:
        path = Path(raw_dir) / exp.filename
        if not path.is_file():
            raise FileNotFoundError(f"missing SIPRI export {path}")
        meta, df = load_export(path, exp.kind)
        if exp.kind == "transfers" and meta["generated"] is None:
            raise ValueError(f"{path}: no 'Data generated' line (the tables name the export each sum comes from)")
        parts.setdefault(exp.kind, {}).setdefault(exp.release, []).append((meta, df))
    registers = {}
    for release, found in parts.get("register", {}).items():
        if len(found) > 1:
            raise ValueError(f"{len(found)} trade registers configured for release {release}: give one")
        registers[release] = found[0][1]
    if not registers:
        raise ValueError("no trade register configured: the deal register is built from one")
    return Exports(
        transfers={release: combine_transfers(found) for release, found in parts.get("transfers", {}).items()},
        registers=registers,
        tiv_tables={
            kind: {
                release: [TivTable(meta["generated"], df) for meta, df in found]
                for release, found in parts.get(kind, {}).items()
            }
            for kind in ("tiv_import", "tiv_export")
        },
    )
