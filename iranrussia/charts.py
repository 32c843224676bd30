"""One chart anatomy for the whole book: title, units, source line, opaque light background, safe palette.

Usage in a notebook::

    fig, ax = charts.figure("Iran–Russia trade, 1992–2024", units="current US$ millions")
    ...plot on ax...
    charts.finish(fig, tables=["trade_bilateral"])

Captions and alt text live in the cell's metadata (``mystnb.figure.caption`` and ``mystnb.image.alt``),
which the tests require for every cell that draws a figure.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .data import read_manifest
from .paths import DATA_DIR, STYLE_FILE

# Okabe & Ito (2008) colour-blind-safe palette; the same order as book.mplstyle's cycle.
PALETTE = {
    "blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "pink": "#CC79A7",
    "sky": "#56B4E9", "vermillion": "#D55E00", "yellow": "#F0E442", "black": "#000000",
}
#: Fixed colours for recurring meanings, so a reader learns them once.
ROLE_COLOURS = {"russia_to_iran": PALETTE["blue"], "iran_to_russia": PALETTE["vermillion"],
                "total": PALETTE["black"]}
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
    """'Source: …' built from the tables' manifests (their credit lines), plus an optional note."""
    credits = []
    for name in tables:
        credit = read_manifest(name, data_dir).credit
        if credit not in credits:
            credits.append(credit)
    if not credits:
        raise ValueError("a chart must name at least one data table as its source")
    text = "Source: " + " ".join(c if c.endswith(".") else c + "." for c in credits)
    if note:
        text += " " + note.strip()
    text += f" Chart: {BOOK_NAME}."
    return text


def finish(fig: Figure, *, tables: Iterable[str], note: str | None = None, width: int = 130) -> Figure:
    """Add the source line under the figure; refuse a figure with no title or no units."""
    if fig._suptitle is None or not fig._suptitle.get_text().strip():
        raise ValueError("the figure has no title: create it with charts.figure(...)")
    if not any(ax.get_title(loc="left").strip() for ax in fig.axes):
        raise ValueError("the figure states no units: pass units= to charts.figure(...)")
    text = "\n".join(textwrap.wrap(source_line(tables, note), width))
    fig.text(0.01, -0.01, text, ha="left", va="top", fontsize=8, color="#555555")
    return fig
