"""The numbers behind each chart, shipped beside it: what a chart cell's output carries and where the book puts it.

:func:`iranrussia.charts.show` adds to a chart's output, beside its PNG, a CSV of exactly the values it plots
(under :data:`MIMETYPE`), headed by ``#`` comment lines giving the chart's title, units, source line and tables.
The book's build (``_ext/figure_data.py``) writes each one to ``data/figures/<figure name>.csv`` of the HTML and
links it under the chart. Standard library only: the build imports it.
"""

from __future__ import annotations

import csv
import io

MIMETYPE = "application/vnd.iranrussia.figure-data+csv"
DOWNLOAD_DIR = "data/figures"  # under the HTML root
LINK_TEXT = "Data (CSV)"


def figure_data(notebook: dict) -> dict[str, str]:
    """Figure name (the cell's ``mystnb.figure.name``) -> the CSV its output carries, for each chart cell."""
    found = {}
    for cell in notebook.get("cells", []):
        name = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name")
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            text = output.get("data", {}).get(MIMETYPE)
            if name and text is not None:
                found[name] = "".join(text) if isinstance(text, list) else text
    return found


def csv_text(header: list[tuple[str, str]], columns: list[str], rows: list[list[str]]) -> str:
    """A CSV of ``rows`` under ``columns``, after one ``# label: value`` line per header item (line breaks in a
    value become spaces, so that every comment stays one line)."""
    out = io.StringIO()
    for label, value in header:
        out.write(f"# {label}: {' '.join(str(value).split())}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def read_csv_text(text: str) -> tuple[dict[str, str], list[str], list[list[str]]]:
    """(header items, columns, rows) of a text :func:`csv_text` wrote."""
    lines = text.splitlines(keepends=True)
    header = {}
    while lines and lines[0].startswith("# "):
        label, _, value = lines.pop(0)[2:].rstrip("\n").partition(": ")
        header[label] = value
    table = list(csv.reader(io.StringIO("".join(lines))))
    return header, (table[0] if table else []), table[1:]
