"""``arms_tiv_annual``: yearly TIV, one series per entry of ``SERIES``, release and calculation.

A ``book_sum`` series adds up SIPRI's delivery rows (transfers exports) of each release; a ``sipri_table``
series copies SIPRI's own TIV table of the release (imports of a recipient when the supplier is
``All suppliers``, exports of a supplier when the recipient is ``All recipients``). Releases never merge.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from .read import Exports
from .scope import (
    ALL_RECIPIENTS,
    ALL_SUPPLIERS,
    FIRST_YEAR,
    IRAN,
    LAST_SOVIET_YEAR,
    RELEASE_LAST_YEAR,
    RUSSIA,
    SOURCE_KEY,
    USSR,
    WAR_YEAR,
)

TABLE = "arms_tiv_annual"
EACH_SUPPLIER = "each supplier"  # one series per supplier with a delivery to the recipient in the years, any release


@dataclass(frozen=True)
class Series:
    supplier: str  # a state, ALL_SUPPLIERS (the recipient's total) or EACH_SUPPLIER
    recipient: str  # a state or ALL_RECIPIENTS (the supplier's total)
    first_year: int
    last_year: int | None  # None: the last year the release covers
    calculation: str  # book_sum | sipri_table


SERIES: tuple[Series, ...] = (
    # USSR until 1991, Russia from 1992 (SIPRI's convention); only years the release covers.
    Series(USSR, IRAN, FIRST_YEAR, LAST_SOVIET_YEAR, "book_sum"),
    Series(RUSSIA, IRAN, LAST_SOVIET_YEAR + 1, None, "book_sum"),
    # Russia's imports since the war, by supplier (Iran among them) and in total: who supplies Moscow.
    Series(EACH_SUPPLIER, RUSSIA, WAR_YEAR, None, "book_sum"),
    Series(ALL_SUPPLIERS, RUSSIA, WAR_YEAR, None, "book_sum"),
    # The totals shares are taken of, each also copied from SIPRI's table to check the sums against.
    Series(ALL_SUPPLIERS, IRAN, FIRST_YEAR, None, "book_sum"),
    Series(IRAN, ALL_RECIPIENTS, WAR_YEAR, None, "book_sum"),
    Series(USSR, ALL_RECIPIENTS, FIRST_YEAR, LAST_SOVIET_YEAR, "book_sum"),
    Series(RUSSIA, ALL_RECIPIENTS, LAST_SOVIET_YEAR + 1, None, "book_sum"),
    Series(ALL_SUPPLIERS, IRAN, FIRST_YEAR, None, "sipri_table"),
    Series(ALL_SUPPLIERS, RUSSIA, WAR_YEAR, None, "sipri_table"),
    Series(USSR, ALL_RECIPIENTS, FIRST_YEAR, LAST_SOVIET_YEAR, "sipri_table"),
    Series(RUSSIA, ALL_RECIPIENTS, LAST_SOVIET_YEAR + 1, None, "sipri_table"),
    Series(IRAN, ALL_RECIPIENTS, WAR_YEAR, None, "sipri_table"),
)


def _generated_for_year(transfers: pd.DataFrame, year: int) -> dt.date:
    """Generation date of the export whose delivery years span ``year``."""
    spans = transfers.groupby("generated")["delivery_year"].agg(["min", "max"])
    for generated, row in spans.iterrows():
        if row["min"] <= year <= row["max"]:
            return generated
    return spans.index[-1]


def dyad_book_sums(transfers: pd.DataFrame, supplier: str, recipient: str, years: range) -> pd.DataFrame:
    """Sum ``TIV delivery values`` by delivery year for one supplier/recipient (ALL_* = all)."""
    sel = transfers
    if supplier != ALL_SUPPLIERS:
        sel = sel[sel["Supplier"] == supplier]
    if recipient != ALL_RECIPIENTS:
        sel = sel[sel["Recipient"] == recipient]
    grouped = sel.groupby("delivery_year")["tiv"].agg(["sum", "count"])
    rows = []
    for y in years:
        total = float(grouped.loc[y, "sum"]) if y in grouped.index else 0.0
        n = int(grouped.loc[y, "count"]) if y in grouped.index else 0
        rows.append({"year": y, "tiv": total, "n": n})
    return pd.DataFrame(rows, columns=["year", "tiv", "n"])


def book_sum_rows(transfers: pd.DataFrame, release: int, supplier: str, recipient: str, years: range) -> list[dict]:
    sums = dyad_book_sums(transfers, supplier, recipient, years)
    out = []
    for r in sums.itertuples():
        note = (
            f"Book's sum of {r.n} SIPRI delivery row(s); not a SIPRI figure"
            if r.n
            else "No SIPRI delivery row for this pair and year"
        )
        out.append(
            {
                "supplier": supplier,
                "recipient": recipient,
                "year": int(r.year),
                "tiv_millions": round(r.tiv, 2),
                "no_deliveries_identified": not r.n,
                "n_delivery_rows": int(r.n),
                "sipri_release": release,
                "calculation": "book_sum",
                "sipri_generated": _generated_for_year(transfers, r.year),
                "source": SOURCE_KEY[release],
                "note": note,
            }
        )
    return out


def table_rows(
    table: pd.DataFrame, generated: dt.date | None, release: int, supplier: str, recipient: str, years: range
) -> list[dict]:
    """Rows copied from a SIPRI TIV table: imports of ``recipient`` (supplier ALL_SUPPLIERS) or exports of
    ``supplier`` (recipient ALL_RECIPIENTS)."""
    entity = recipient if supplier == ALL_SUPPLIERS else supplier
    sel = table[table["entity"] == entity].set_index("year")
    if sel.empty:
        raise ValueError(f"TIV table has no row for {entity!r}")
    out = []
    for y in years:
        cell = sel.loc[y, "cell"] if y in sel.index else ""
        if cell == "":
            value, none, note = 0.0, True, "Empty cell in SIPRI's TIV table: no deliveries identified"
        else:
            value, none = float(cell), False
            note = (
                "SIPRI's TIV table shows 0: deliveries between 0 and 0.5"
                if value == 0
                else "Value as printed in SIPRI's TIV table (whole numbers)"
            )
        out.append(
            {
                "supplier": supplier,
                "recipient": recipient,
                "year": y,
                "tiv_millions": round(value, 2),
                "no_deliveries_identified": none,
                "n_delivery_rows": None,
                "sipri_release": release,
                "calculation": "sipri_table",
                "sipri_generated": generated,
                "source": SOURCE_KEY[release],
                "note": note,
            }
        )
    return out


def suppliers_of(exports: Exports, recipient: str, first_year: int) -> list[str]:
    """Every supplier with a delivery to ``recipient`` from ``first_year`` on, in any release (so each release
    gets the same series, zeros included)."""
    names: set[str] = set()
    for tr in exports.transfers.values():
        names |= set(tr.loc[(tr["Recipient"] == recipient) & (tr["delivery_year"] >= first_year), "Supplier"])
    return sorted(names)


def _years(series: Series, first: int, last: int) -> range:
    """The series' years within [first, last], the span a release covers."""
    end = last if series.last_year is None else min(series.last_year, last)
    return range(max(series.first_year, first), end + 1)


def build_annual(exports: Exports, series: tuple[Series, ...] = SERIES) -> pd.DataFrame:
    """Table 1: yearly TIV, one series per (entry of ``series``, release)."""
    rows: list[dict] = []
    for s in series:
        if s.calculation == "book_sum":
            suppliers = (
                suppliers_of(exports, s.recipient, s.first_year) if s.supplier == EACH_SUPPLIER else [s.supplier]
            )
            for release, tr in sorted(exports.transfers.items()):
                years = _years(s, max(FIRST_YEAR, int(tr["delivery_year"].min())), RELEASE_LAST_YEAR[release])
                for supplier in suppliers:
                    rows += book_sum_rows(tr, release, supplier, s.recipient, years)
        elif s.calculation == "sipri_table":
            if (s.supplier == ALL_SUPPLIERS) == (s.recipient == ALL_RECIPIENTS):
                raise ValueError(f"{s}: a SIPRI table series is a recipient's imports or a supplier's exports")
            kind = "tiv_import" if s.supplier == ALL_SUPPLIERS else "tiv_export"
            for release, tables in sorted(exports.tiv_tables[kind].items()):
                for t in tables:
                    rows += table_rows(
                        t.table,
                        t.generated,
                        release,
                        s.supplier,
                        s.recipient,
                        _years(s, FIRST_YEAR, RELEASE_LAST_YEAR[release]),
                    )
        else:
            raise ValueError(f"{s}: unknown calculation {s.calculation!r}")
    return pd.DataFrame(rows)  # row order: the manifest's sort_by


def validate_annual(df: pd.DataFrame, tolerance: float = 1.0) -> None:
    """Book sums agree with SIPRI's table of the same release within ``tolerance`` TIV."""
    k = ["supplier", "recipient", "year", "sipri_release"]
    num = df.assign(v=df["tiv_millions"].astype(float))
    both = num[num["calculation"] == "book_sum"].merge(
        num[num["calculation"] == "sipri_table"], on=k, suffixes=("_sum", "_table")
    )
    bad = both[(both["v_sum"] - both["v_table"]).abs() > tolerance]
    if not bad.empty:
        raise ValueError(f"{TABLE}: book sums differ from SIPRI's table by more than {tolerance}:\n{bad[k]}")
