"""One chart anatomy for the whole book: title, units, source line, opaque light background, safe palette.

Usage in a notebook::

    fig, ax = charts.figure("Iran–Russia trade, 1992–2024", units="current US$ millions")
    ...plot on ax...
    charts.show(fig, tables=["trade_bilateral"], data=plotted)   # source line, figure and its data shown

``data`` is a frame of exactly the values the chart draws, one row per mark, with self-explanatory columns:
it is shipped with the chart as ``data/figures/<figure name>.csv`` (see :mod:`iranrussia.figuredata`).
Captions and alt text live in the cell's metadata (``mystnb.figure.caption`` and ``mystnb.image.alt``),
which the tests require for every cell that draws a figure.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from . import figuredata
from .data import cell_texts
from .page import credit_text
from .paths import DATA_DIR, STYLE_FILE

# Okabe & Ito (2008) colour-blind-safe palette; the same order as book.mplstyle's cycle.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "pink": "#CC79A7",
    "sky": "#56B4E9",
    "vermillion": "#D55E00",
    "yellow": "#F0E442",
    "black": "#000000",
}
#: Fixed colours for recurring meanings, so a reader learns them once.
ROLE_COLOURS = {"russia_to_iran": PALETTE["blue"], "iran_to_russia": PALETTE["vermillion"], "total": PALETTE["black"]}
BOOK_NAME = "Iran–Russia relations: an open data book"


def use_style() -> None:
    """Apply the book's style to matplotlib (and seaborn, if used)."""
    plt.style.use(STYLE_FILE)


def figure(title: str, *, units: str, nrows: int = 1, ncols: int = 1, **subplots_kw):
    """A new figure carrying its title and, as subtitle, the units of what it shows."""
    if not title.strip() or not units.strip():
        raise ValueError("every chart needs a title and a statement of its units")
    use_style()
    fig, axes = plt.subplots(nrows, ncols, **subplots_kw)
    fig.suptitle(title, x=0.01, ha="left", fontsize=13, fontweight="bold")
    first = axes.flat[0] if hasattr(axes, "flat") else axes
    first.set_title(units, loc="left", fontsize=10, color="#555555")
    return fig, axes


def source_line(tables: Iterable[str], note: str | None = None, data_dir=DATA_DIR) -> str:
    """'Source: …' built from the tables' manifests (their credit lines), plus an optional note and the book's name."""
    return f"{credit_text(tables, note or '', data_dir)} Chart: {BOOK_NAME}."


def finish(fig: Figure, *, tables: Iterable[str], note: str | None = None, width: int = 130) -> Figure:
    """Add the source line under the figure; refuse a figure with no title or no units."""
    if fig._suptitle is None or not fig._suptitle.get_text().strip():
        raise ValueError("the figure has no title: create it with charts.figure(...)")
    if not any(ax.get_title(loc="left").strip() for ax in fig.axes):
        raise ValueError("the figure states no units: pass units= to charts.figure(...)")
    text = "\n".join(textwrap.wrap(source_line(tables, note), width))
    fig.text(0.01, -0.01, text, ha="left", va="top", fontsize=8, color="#555555")
    return fig


def show(fig: Figure, *, tables: Iterable[str], data: pd.DataFrame, note: str | None = None) -> None:
    """A chart cell's last line: :func:`finish` the figure (its source line; title and units checked), then show
    it with ``data``, the values it plots, as a CSV beside its image in the cell's output."""
    tables = list(tables)
    finish(fig, tables=tables, note=note)
    text = data_csv(fig, data, tables=tables, note=note)
    shell = _ipython()
    if shell is None:  # a script or a test: matplotlib shows it, there is no output to carry the data
        plt.show()
        return
    bundle, metadata = shell.display_formatter.format(fig)  # the inline backend's PNG, as plt.show gives it
    bundle[figuredata.MIMETYPE] = text
    display(bundle, metadata=metadata, raw=True)
    plt.close(fig)  # shown: the inline backend must not show it a second time


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if shell is not None and hasattr(shell, "display_formatter") else None


def data_csv(fig: Figure, data: pd.DataFrame, *, tables: Iterable[str], note: str | None = None) -> str:
    """The CSV shipped with a chart: its title, units, source line and tables as comments, then ``data``'s cells
    written as the book's tables write theirs (dates YYYY-MM-DD, numbers plainly, empty for missing; decimal
    numbers to 12 significant digits)."""
    if not isinstance(data, pd.DataFrame) or data.empty:
        raise ValueError("charts.show needs data=: a frame of the values the chart draws, one row per mark")
    if not all(isinstance(c, str) and c.strip() for c in data.columns) or data.columns.duplicated().any():
        raise ValueError(f"the chart's data needs distinct, named columns, not {list(data.columns)}")
    tables = list(tables)
    units = next((ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left").strip()), "")
    header = [
        ("Chart", fig._suptitle.get_text() if fig._suptitle is not None else ""),
        ("Units", units),
        ("Source", source_line(tables, note).removeprefix("Source: ")),
        ("Tables", ", ".join(tables) + " (see the data dictionary)"),
    ]
    # Computed values are written to 12 significant digits: 115, not the 114.99999999999999 of binary arithmetic.
    data = data.reset_index(drop=True).apply(
        lambda column: (
            column.map(lambda v: float(f"{v:.12g}"), na_action="ignore")
            if pd.api.types.is_float_dtype(column)
            else column
        )
    )
    texts = cell_texts(data)
    rows = [list(row) for row in zip(*texts.values())]
    return figuredata.csv_text(header, list(data.columns), rows)


#: How a figure's ``value_qualifier`` shows on its marker: hollow when approximate, preliminary or an estimate,
#: a triangle for a lower bound ("over …"), half-filled for the book's sum of one source's two flows.
QUALIFIER_MARKS = {
    "approximately": {"markerfacecolor": "white"},
    "preliminary": {"markerfacecolor": "white"},
    "estimate": {"markerfacecolor": "white"},
    "more_than": {"marker": "^"},
    "book_calculation": {"fillstyle": "left"},
}


def period_figures(ax, rows: pd.DataFrame, value: str, *, at: str = "mid", alpha: float = 0.5, **marker_style) -> None:
    """Each row as a bar across its period (``period_start`` to ``period_end``) with a marker at ``at``.

    Rows carry their ``colour`` and ``marker``; the row's ``value_qualifier`` restyles the marker
    (:data:`QUALIFIER_MARKS`), so a figure drawn across its dates still says how its source stated it.
    """
    for row in rows.itertuples():
        y, colour = getattr(row, value), row.colour
        ax.plot(
            [row.period_start, row.period_end], [y] * 2, color=colour, linewidth=2.2, alpha=alpha, solid_capstyle="butt"
        )
        style = dict(marker=row.marker, color=colour, markersize=7, linestyle="none", **marker_style)
        style.update(QUALIFIER_MARKS.get(row.value_qualifier, {}))
        ax.plot([getattr(row, at)], [y], **style, zorder=4)


def year_axis(ax, first=None, last=None, *, step: int = 1, grid: str | None = "#eeeeee") -> None:
    """A date axis labelled with years every ``step`` years, limited to ``first``..``last`` if given."""
    if first is not None:
        ax.set_xlim(pd.Timestamp(first), pd.Timestamp(last))
    ax.xaxis.set_major_locator(mdates.YearLocator(step))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    if grid:
        ax.grid(axis="x", color=grid)


def grid_only(ax, axis: str) -> None:
    """Grid lines across ``axis`` ("x" or "y") only (the style draws them across y)."""
    ax.grid(axis=axis, visible=True)
    ax.grid(axis="y" if axis == "x" else "x", visible=False)


def marker_key(label: str, marker: str = "o", colour: str = "#444444", **style) -> Line2D:
    """A legend entry showing a marker alone (no line)."""
    return Line2D([], [], color=colour, marker=marker, linestyle="none", label=label, **style)


def line_key(label: str, colour: str, linewidth: float = 2.5, **style) -> Line2D:
    """A legend entry showing a line."""
    return Line2D([], [], color=colour, linewidth=linewidth, label=label, **style)


def month_bars(ax, month_start, values, partial, **style):
    """Monthly bars, each 24 days wide and centred in its month (``month_start`` + 14 days); partial months hatched."""
    hatch = ["////" if p else None for p in partial]
    return ax.bar(month_start + pd.Timedelta(days=14), values, width=24, hatch=hatch, edgecolor="white", **style)


def half_year_axis(axis, date_format: str = "%b %Y") -> None:
    """A date axis with a tick at each January and July, labelled ``date_format`` ("Jan 2024")."""
    axis.set_major_locator(mdates.MonthLocator(bymonth=[1, 7]))
    axis.set_major_formatter(mdates.DateFormatter(date_format))


def thousands(axis) -> None:
    """Tick labels as whole numbers with thousands separators (4,000)."""
    axis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))


def annotate(ax, text: str, xy, offset=(0, 0), **style):
    """A small note (8 pt) on ``ax`` at ``xy``, moved by ``offset`` points."""
    return ax.annotate(text, xy, xytext=offset, textcoords="offset points", fontsize=8, **style)


def legend(ax, handles=None, title: str | None = None, **options):
    """A legend in small type (8 pt, its title too): the book's key for markers, publishers and series."""
    if handles is not None:
        options["handles"] = handles
    if title is not None:
        options.update(title=title, title_fontsize=8)
    return ax.legend(fontsize=8, **options)
