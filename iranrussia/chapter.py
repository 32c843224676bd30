"""What the chapters share: exact-one-row picks, number and date texts, glued values, enum labels, sources.

Every chapter reads its headline numbers with :func:`pick` (which fails unless exactly one row matches),
formats them one standard way (:data:`FORMATS`, by name) and glues them for the prose with :func:`glue_as`;
reads the labels of a column's values from the table's manifest (:func:`labels`), so a label is written once;
and closes with the sources of the rows it used (:func:`sources`, :func:`cite_each`, :func:`source_lines`).
Markup for the page is made only through :mod:`iranrussia.page`, so data text is escaped.

Usage in a notebook::

    from iranrussia.chapter import glue_as, labels, pick, sources, where
    totals = where(trade, flow="total", side="russia")                        # all matching rows
    row = pick(trade, reporter="iran_tpo", period_label="1402", flow="total")
    glue_as("number", ir_1402_total=row["value_musd"], ir_1399_total=...)   # "2,620"
    names = labels(trade, "reporter")                                         # value -> label, from the manifest
    Markdown(sources(bilateral, deals))                                       # closing "Sources" citation
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from .data import Manifest, read_manifest
from .page import Markup, cite, source_keys


def where(table: pd.DataFrame, **match) -> pd.DataFrame:
    """The rows of ``table`` matching every ``column=value`` given, in their order; a list, tuple or set as the
    value matches any of its members (``where(trade, flow=["russia_to_iran", "iran_to_russia"], side="iran")``)."""
    rows = table
    for column, value in match.items():
        rows = rows[rows[column].isin(list(value)) if isinstance(value, (list, tuple, set)) else rows[column] == value]
    return rows


def pick(table: pd.DataFrame, **match) -> pd.Series:
    """The one row of ``table`` matching every ``column=value`` given; ``LookupError`` unless exactly one does."""
    rows = where(table, **match)
    if len(rows) != 1:
        raise LookupError(f"{len(rows)} rows match {match}")
    return rows.iloc[0]


def signed(value: float, spec: str) -> str:
    """``value`` with its sign always shown and a true minus sign: ``signed(-0.17, ".0%")`` is ``"−17%"``."""
    return format(value, "+" + spec).replace("-", "−")


def pct(fraction: float, digits: int = 0) -> str:
    """A fraction as a percentage: ``pct(0.257)`` is ``"26%"``, ``pct(0.257, 1)`` is ``"25.7%"``."""
    return f"{fraction:.{digits}%}"


def percent(value: float) -> str:
    """A value already in percent, as short as it is exact: ``percent(12.0)`` is ``"12%"``, ``percent(7.5)``
    ``"7.5%"``."""
    return f"{value:g}%"


def _whole(value) -> int:
    if value != int(value):
        raise ValueError(f"{value!r} is not a whole number")
    return int(value)


#: The book's standard ways of writing a value, by name (the names :func:`glue_as` takes).
FORMATS: dict[str, Callable[[object], str]] = {
    "count": lambda v: f"{_whole(v)}",  # 14: a number of things
    "number": lambda v: f"{v:,.0f}",  # 4,012: an amount, rounded to a whole number
    "number1": lambda v: f"{v:,.1f}",  # 108.5: an amount to one decimal
    "ratio": lambda v: f"{v:.1f}",  # 2.1: a ratio or a factor, to one decimal
    "percent1": lambda v: f"{v:.1f}%",  # 0.6%: a value already in percent, to one decimal
    "share": pct,  # 26%: a fraction as a whole percentage
    "change": lambda v: signed(v, ".0%"),  # −17%: a relative change given as a fraction, signed
    "change1": lambda v: signed(v, ".1%"),  # −4.3%: the same to one decimal
    "growth": lambda v: signed(v, ".0f") + "%",  # +12%: a change already in percent, signed
    "date": lambda v: f"{v:%-d %B %Y}",  # 5 March 2026
    "month": lambda v: f"{v:%B %Y}",  # March 2026
    "year": lambda v: f"{v:%Y}",  # 2026
}


def formatted(style: str, value) -> str:
    """``value`` written the standard way named ``style`` (a key of :data:`FORMATS`)."""
    if style not in FORMATS:
        raise KeyError(f"no format {style!r} (formats: {', '.join(FORMATS)})")
    return FORMATS[style](value)


def glue_as(style: str, **values) -> None:
    """Glue each keyword's value for the prose (``{glue:text}`name```), written the standard way ``style``."""
    from myst_nb import glue

    for name, value in values.items():
        glue(name, formatted(style, value), display=False)


def glue_text(**values: str) -> None:
    """Glue each keyword's text, as it is, for the prose."""
    from myst_nb import glue

    for name, value in values.items():
        if not isinstance(value, str):
            raise TypeError(f"{name}: glue_text takes text; use glue_as for a number or a date")
        glue(name, value, display=False)


#: How a date known to a given precision is written (the precisions the tables' ``*_precision`` columns use).
_DATE_FORMATS = {"month": "{:%b %Y}", "year": "{:%Y}", "by_date": "by {day}"}


def date_text(date: pd.Timestamp, precision: str, *, padded: bool = False) -> str:
    """``date`` as known to ``precision``: day ("5 Mar 2026"), month ("Mar 2026"), year ("2026"), by_date.

    ``report_day`` (the date of a report) is written as a day; ``by_date`` as "by" and the day. ``padded``
    writes days with two digits ("05 Mar 2026"), as the event lists and registers do.
    """
    day = f"{date:%d %b %Y}" if padded else f"{date:%-d %b %Y}"
    if precision in ("day", "report_day"):
        return day
    if precision not in _DATE_FORMATS:
        raise ValueError(f"unknown date precision {precision!r}")
    return _DATE_FORMATS[precision].format(date, day=day)


def _manifest(table: pd.DataFrame | str) -> Manifest:
    return read_manifest(table) if isinstance(table, str) else table.attrs["manifest"]


def labels(table: pd.DataFrame | str, column: str) -> dict:
    """The labels of a column's values (value -> label), as its manifest's labelled ``enum`` gives them."""
    found = _manifest(table).column(column).labels
    if found is None:
        raise KeyError(f"column {column!r} of table {_manifest(table).name} has no labelled enum")
    return dict(found)


def keys_of(*frames: pd.DataFrame) -> list[str]:
    """Every bibliography key cited in the frames' source-key columns (per their manifests), first use first."""
    keys = []
    for frame in frames:
        columns = [c.name for c in _manifest(frame).columns if c.source_keys]
        keys += [key for column in columns for cell in frame[column].dropna() for key in source_keys(cell)]
    return list(dict.fromkeys(keys))


def sources(*frames: pd.DataFrame) -> Markup:
    """A chapter's closing citation: every key its frames cite, in alphabetical order, as one citation."""
    return cite(sorted(keys_of(*frames)))


def cite_each(keys: Iterable[str]) -> Markup:
    """One ``{cite}`` role per key, comma-separated: a list of sources, not one parenthetical citation."""
    return Markup(", ").join(Markup("{{cite}}`{}`").format(key) for key in source_keys(list(keys)))


def source_lines(entries: Iterable[tuple[str, pd.DataFrame]]) -> Markup:
    """A "Sources" list, one paragraph per ``(label, frame)``: "label: {cite}`a`, {cite}`b`." (keys in first-use
    order)."""
    return Markup("\n\n").join(Markup("{}: {}.").format(label, cite_each(keys_of(frame))) for label, frame in entries)


def same_months_year_before(monthly: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The full months of a monthly table's latest year, and the same calendar months of the year before.

    Months are the rows' ``month_start``; a row with ``partial_month`` true is not a full month. The two slices
    let a chapter compare like with like: "January–May 2026 against January–May 2025".
    """
    year = monthly["month_start"].dt.year
    latest = monthly[(year == year.max()) & ~monthly["partial_month"].astype(bool)]
    before = monthly[(year == year.max() - 1) & monthly["month_start"].dt.month.isin(latest["month_start"].dt.month)]
    return latest, before
