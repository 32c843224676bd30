"""How far each table and each series reaches in time, for the freshness statements in chapters and dictionary.

A table's manifest names the columns that say when a row begins and ends (``coverage: {start, end}``);
those may be dates, years or period labels (``2024-05``, ``1403``). Everything here is read from loaded
tables, so a chapter's "latest period" can never fall behind its data.
"""

from __future__ import annotations

import pandas as pd

from .data import load, table_names
from .paths import DATA_DIR


def as_text(value) -> str:
    """A coverage value as a reader sees it: dates as YYYY-MM-DD, years and labels as they are."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def table_coverage(frame: pd.DataFrame) -> tuple[str, str]:
    """First start and last end of a loaded table, per the ``coverage`` columns of its manifest."""
    manifest = frame.attrs["manifest"]
    if manifest.coverage is None:
        raise ValueError(f"{manifest.manifest_path}: the manifest declares no 'coverage' columns")
    start, end = manifest.coverage
    return as_text(frame[start].dropna().min()), as_text(frame[end].dropna().max())


def coverage_summary(data_dir=DATA_DIR) -> pd.DataFrame:
    """One row per table: rows, first and last period covered, and the columns those come from."""
    rows = []
    for name in table_names(data_dir):
        frame = load(name, data_dir=data_dir)
        first, last = table_coverage(frame)
        start, end = frame.attrs["manifest"].coverage
        rows.append(
            {
                "table": name,
                "rows": len(frame),
                "first": first,
                "last": last,
                "read_from": start if start == end else f"{start} / {end}",
            }
        )
    return pd.DataFrame(rows)


def series_coverage(
    frame: pd.DataFrame,
    by: str | list[str],
    *,
    label: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> pd.DataFrame:
    """Per series (the groups of ``by``): number of rows, first start, last end and, if ``label`` is given,
    the label of the latest row (the row with the last end; ties broken by the latest start).

    ``start``/``end`` default to the manifest's coverage columns. Rows are in order of the latest end, newest
    first, so the freshest series reads first.
    """
    manifest = frame.attrs["manifest"]
    start = start or manifest.coverage[0]
    end = end or manifest.coverage[1]
    by = [by] if isinstance(by, str) else list(by)
    rows = []
    for key, group in frame.groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        # Rows with no end (or start) sort first, so the latest row is one whose end is known.
        latest = group.sort_values([end, start], kind="mergesort", na_position="first").iloc[-1]
        row = dict(zip(by, key))
        row.update({"rows": len(group), "first": as_text(group[start].min()), "last": as_text(group[end].max())})
        if label is not None:
            row["latest period"] = as_text(latest[label])
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.sort_values("last", ascending=False, kind="mergesort").reset_index(drop=True)


def freshness_table(entries) -> pd.DataFrame:
    """The "how current is this chapter" table: one row per series of each table a chapter uses.

    ``entries`` are ``(frame, by, label, names)`` tuples: a loaded table, the column(s) that split it into
    series (or ``None`` for the whole table), the column naming a row's period (or ``None``) and an optional
    mapping from series values to readers' labels. Columns: Table, Series, Rows, First, Last, Latest period.
    """
    parts = []
    for frame, by, label, names in entries:
        name = frame.attrs["manifest"].name
        if by is None:
            frame, by = frame.assign(_all="all rows"), "_all"  # assign keeps attrs, so the manifest too
        per = series_coverage(frame, by, label=label)
        columns = [by] if isinstance(by, str) else list(by)
        series = per[columns].astype(str).agg(" · ".join, axis=1)
        if names:
            series = series.map(lambda s, names=names: names.get(s, s))
        parts.append(
            pd.DataFrame(
                {
                    "Table": name,
                    "Series": series,
                    "Rows": per["rows"],
                    "First": per["first"],
                    "Last": per["last"],
                    "Latest period": per["latest period"] if label else "",
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
