"""``arms_iran_imports_by_supplier`` and ``arms_russia_exports_by_recipient``: five-year period sums."""

from __future__ import annotations

import pandas as pd

from .read import Exports
from .scope import FIRST_YEAR, IRAN, RELEASE_LAST_YEAR, RUSSIA, SOURCE_KEY, USSR

IMPORTS = "arms_iran_imports_by_supplier"
RUSSIA_EXPORTS = "arms_russia_exports_by_recipient"


def five_year_periods(first: int, last: int) -> list[tuple[int, int]]:
    """Complete five-year periods starting on years ending in 0 or 5, inside [first, last]."""
    start = first + (-first) % 5
    return [(s, s + 4) for s in range(start, last - 3, 5) if s + 4 <= last]


def period_rows(transfers: pd.DataFrame, release: int, fixed: dict, periods: list[tuple[int, int]]) -> list[dict]:
    """Sum TIV by supplier and recipient within each period, for rows matching ``fixed`` (column -> values)."""
    sel = transfers
    for col, values in fixed.items():
        sel = sel[sel[col].isin(values)]
    out = []
    for p0, p1 in periods:
        part = sel[(sel["delivery_year"] >= p0) & (sel["delivery_year"] <= p1)]
        grouped = part.groupby(["Supplier", "Recipient"])["tiv"].agg(tiv_sum="sum", n_rows="count").reset_index()
        for r in grouped.itertuples():
            out.append(
                {
                    "sipri_release": release,
                    "period_start": p0,
                    "period_end": p1,
                    "supplier": r.Supplier,
                    "recipient": r.Recipient,
                    "tiv_millions": round(float(r.tiv_sum), 2),
                    "n_delivery_rows": int(r.n_rows),
                    "calculation": "book_sum",
                    "source": SOURCE_KEY[release],
                    "note": f"Book's sum of SIPRI delivery rows for {p0}-{p1}; not a SIPRI figure",
                }
            )
    return out


def build_periods(exports: Exports) -> dict[str, pd.DataFrame]:
    """Iran's imports by supplier and USSR/Russia's exports by recipient, five-year periods, by name."""
    imports, russia = [], []
    for release, tr in sorted(exports.transfers.items()):
        first = max(FIRST_YEAR, int(tr["delivery_year"].min()))
        periods = five_year_periods(first, RELEASE_LAST_YEAR[release])
        imports += period_rows(tr, release, {"Recipient": [IRAN]}, periods)
        russia += period_rows(tr, release, {"Supplier": [USSR, RUSSIA]}, periods)
    return {IMPORTS: pd.DataFrame(imports), RUSSIA_EXPORTS: pd.DataFrame(russia)}  # row order: sort_by


def validate_periods(df: pd.DataFrame, name: str) -> None:
    if (df["period_end"] - df["period_start"] != 4).any():
        raise ValueError(f"{name}: a period is not five years long")
