"""The trade chapter's calculations on the trade tables: the book's same-source sums, periods as text, and
the comparison of two publishers' figures (table ``trade_comparisons``).

Figures of different sources are never added together: a book's sum adds the two flows one source gave for
the same whole period, and only where that source gave no total.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .chapter import labels, pick

DIRECTIONS = ("russia_to_iran", "iran_to_russia")
BOOK_CALCULATION = "book_calculation"
BOOK_SUM_NOTE = "Book's calculation: sum of the two flows given by the same source."


def book_sums(
    table: pd.DataFrame,
    parts: tuple[str, str] = DIRECTIONS,
    *,
    total: str = "total",
    by: tuple[str, ...] = ("reporter", "period_label", "source"),
    note: str | Callable[[pd.Series], str] = BOOK_SUM_NOTE,
) -> pd.DataFrame:
    """The book's totals: one row per group of ``by`` (one source's figures for one whole period) that gives
    both ``parts`` of ``flow`` once each and no ``total``; its value is the sum of the two, its qualifier
    ``book_calculation`` and its note ``note`` (text, or a function of the new row giving it); every other cell
    is the first part's. Partial periods are left alone (a part-year pair is not a year). Returns only the new
    rows, in the order of the groups. The trade chapter and ``builders/trade_cow.py`` both sum with it.
    """
    whole = table[table["period_type"] != "partial_period"]
    sums = []
    for _, group in whole.groupby(list(by)):
        flows = group.set_index("flow")
        if set(parts) <= set(flows.index) and total not in flows.index and flows.index.is_unique:
            row = flows.loc[parts[0]].copy()
            row["flow"], row["value_musd"] = total, flows.loc[list(parts), "value_musd"].sum()
            row["value_qualifier"] = BOOK_CALCULATION
            row["note"] = note(row) if callable(note) else note
            sums.append(row)
    return pd.DataFrame(sums, columns=table.columns)


def with_book_sums(table: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """``table`` followed by its :func:`book_sums` rows."""
    return pd.concat([table, book_sums(table, **kwargs)], ignore_index=True)


def period_text(row) -> str:
    """How a period reads in tables: Iranian years and partial periods always say what they are."""
    start, end = row["period_start"], row["period_end"]
    if row["period_type"] == "calendar_year":
        return f"{row['period_label']} (calendar year)"
    if row["period_type"] == "iranian_year":
        kind = "Iranian year"
    elif row["calendar"] == "iranian":
        kind = f"part of Iranian year {row['period_label'][:4]}"
    else:
        kind = "part year"
    return f"{row['period_label']} ({kind}: {start:%-d %b %Y}–{end:%-d %b %Y})"


def periods_compared(first, second, kinds: dict[str, str]) -> str:
    """How two periods relate, from their dates: the same period, or how many days of the longer they share."""
    if (first["period_start"], first["period_end"]) == (second["period_start"], second["period_end"]):
        return f"same {kinds[first['period_type']]}"
    shared = min(first["period_end"], second["period_end"]) - max(first["period_start"], second["period_start"])
    longer = max((r["period_end"] - r["period_start"]).days + 1 for r in (first, second))
    return (
        f"{kinds[first['period_type']]} vs {kinds[second['period_type']]}: "
        f"they share {shared.days + 1} of {longer} days"
    )


_BOUNDS = {
    "more_than": ", lower bound",
    "approximately": ", approximate",
    "preliminary": ", preliminary",
    BOOK_CALCULATION: ", book's sum of the two flows",
}


def figure_text(row, publisher: str | None, names: dict[str, str]) -> str:
    """A figure as a comparison names it: who stands behind it, its period and how it is stated."""
    who = publisher if isinstance(publisher, str) and publisher else names[row["reporter"]]
    return f"{who}, {row['period_label']}{_BOUNDS.get(row['value_qualifier'], '')}"


def comparisons(trade: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per pair of ``trade_comparisons``, indexed by pair_id: the two figures of ``trade`` (trade_bilateral
    with its book's sums) described, their values, the ratio first / second (the book's calculation), whether the
    first is a lower bound, how their periods relate, and the factor between them whatever its direction.
    """
    names, kinds = labels("trade_bilateral", "reporter"), labels("trade_bilateral", "period_type")
    groups = labels(pairs, "comparison")
    rows = []
    for pair in pairs.itertuples():
        first, second = (
            pick(
                trade,
                flow=pair.flow,
                reporter=getattr(pair, f"{side}_reporter"),
                period_label=getattr(pair, f"{side}_period_label"),
                source=getattr(pair, f"{side}_source"),
            )
            for side in ("first", "second")
        )
        if first["period_start"].year != pair.year:
            raise ValueError(
                f"{pair.pair_id}: the first figure's period begins in {first['period_start'].year}, not {pair.year}"
            )
        rows.append(
            {
                "pair_id": pair.pair_id,
                "group": groups[pair.comparison],
                "flow": pair.flow,
                "first": figure_text(first, pair.first_publisher, names),
                "second": figure_text(second, pair.second_publisher, names),
                "first_value": first["value_musd"],
                "second_value": second["value_musd"],
                "ratio": first["value_musd"] / second["value_musd"],
                "lower_bound": first["value_qualifier"] == "more_than",
                "periods": periods_compared(first, second, kinds),
            }
        )
    out = pd.DataFrame(rows).set_index("pair_id")
    # Size of a disagreement regardless of its sign: 2.0 whether one figure is double or half the other.
    out["factor"] = np.maximum(out["ratio"], 1 / out["ratio"])
    return out
