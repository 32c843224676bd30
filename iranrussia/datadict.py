"""Render the data dictionary page from the manifests, so that columns are described in one place only."""

from __future__ import annotations

from .coverage import coverage_summary
from .data import Column, Manifest, load, read_manifest, table_names
from .paths import DATA_DIR


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _rule(column: Column) -> str:
    parts = []
    if column.required:
        parts.append("required")
    if column.enum is not None:
        parts.append("one of " + ", ".join(f"`{v}`" for v in column.enum))
    if column.minimum is not None:
        parts.append(f"≥ {column.minimum}")
    if column.maximum is not None:
        parts.append(f"≤ {column.maximum}")
    if column.pattern:
        parts.append(f"pattern `{column.pattern}`")
    if column.source_keys:
        parts.append("keys of the bibliography, `;`-separated")
    return "; ".join(parts) or "optional"


def table_markdown(manifest: Manifest, rows: int) -> str:
    lines = [
        f"**`{manifest.name}`: {manifest.title}**",
        "",
        manifest.description,
        "",
        f"- File: `data/{manifest.path.name}`, {rows} rows; key: {', '.join(f'`{k}`' for k in manifest.primary_key)}",
        f"- Producer: {manifest.producer}",
        f"- Licence: [{manifest.licence['name']}]({manifest.licence['url']})",
        f"- Credit line: {manifest.credit}",
    ]
    if manifest.third_party_terms:
        lines.append(f"- Third-party terms: {' '.join(manifest.third_party_terms.split())}")
    lines.append(f"- Built by: `{manifest.builder}`" if manifest.builder else "- Built by: compiled by hand")
    lines += ["", "| Column | Type | Unit | Rule | Meaning |", "|---|---|---|---|---|"]
    for c in manifest.columns:
        lines.append(f"| `{c.name}` | {c.type} | {_cell(c.unit or '')} | {_cell(_rule(c))} | {_cell(c.description)} |")
    return "\n".join(lines)


def coverage_markdown(data_dir=DATA_DIR) -> str:
    """A table of every table's reach in time: first and last period, and the columns they are read from."""
    lines = ["| Table | Rows | First | Last | Read from |", "|---|---|---|---|---|"]
    for row in coverage_summary(data_dir).itertuples(index=False):
        lines.append(f"| `{row.table}` | {row.rows} | {row.first} | {row.last} | {_cell(row.read_from)} |")
    return "\n".join(lines)


def data_dictionary(data_dir=DATA_DIR) -> str:
    """The whole dictionary as Markdown: one section per table, each checked by loading the table."""
    parts = ["**How far each table reaches** (generated from the tables: the earliest start and latest end of "
             "the columns each manifest names under `coverage`)\n\n" + coverage_markdown(data_dir)]
    for name in table_names(data_dir):
        parts.append(table_markdown(read_manifest(name, data_dir), len(load(name, data_dir=data_dir))))
    return "\n\n---\n\n".join(parts)
