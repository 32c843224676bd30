"""Render the data dictionary page from the manifests, so that columns are described in one place only."""

from __future__ import annotations

from .coverage import coverage_summary
from .data import Column, Manifest, load, read_manifest, table_names
from .page import Markup, code, escape, link, strong
from .page import table_cell as _cell
from .paths import DATA_DIR


def _rule(column: Column) -> str:
    parts = []
    if column.required:
        parts.append("required")
    if column.enum is not None:
        labels = column.labels or {}
        parts.append(
            Markup("one of ")
            + Markup(", ").join(
                Markup("{} ({})").format(code(v), labels[v]) if v in labels else code(v) for v in column.enum
            )
        )
    if column.minimum is not None:
        parts.append(f"≥ {column.minimum}")
    if column.maximum is not None:
        parts.append(f"≤ {column.maximum}")
    if column.pattern:
        parts.append(Markup("pattern ") + code(column.pattern))
    if column.source_keys:
        parts.append(Markup("keys of the bibliography, `;`-separated"))
    if column.row_refs:
        parts.append(Markup("references to rows of other tables, `;`-separated"))
    return Markup("; ").join(escape(p) for p in parts) or Markup("optional")


def table_markdown(manifest: Manifest, rows: int) -> str:
    # Every manifest string is escaped or put in a code span: a manifest is contributed text like a data cell.
    lines = [
        strong(Markup("{}: {}").format(code(manifest.name), manifest.title)),
        "",
        escape(manifest.description),
        "",
        Markup("- File: {}, {} rows; key: {}").format(
            code(f"data/{manifest.path.name}"), rows, Markup(", ").join(code(k) for k in manifest.primary_key)
        ),
        Markup("- Producer: {}").format(manifest.producer),
        Markup("- Licence: {}").format(link(manifest.licence["name"], manifest.licence["url"])),
        Markup("- Credit line: {}").format(manifest.credit),
    ]
    if manifest.third_party_terms:
        lines.append(Markup("- Third-party terms: {}").format(manifest.third_party_terms))
    lines.append(
        Markup("- Built by: {}").format(code(manifest.builder)) if manifest.builder else "- Built by: compiled by hand"
    )
    lines += ["", "| Column | Type | Unit | Rule | Meaning |", "|---|---|---|---|---|"]
    for c in manifest.columns:
        lines.append(
            f"| {_cell(code(c.name))} | {_cell(c.type)} | {_cell(c.unit or '')} | {_cell(_rule(c))} | "
            f"{_cell(c.description)} |"
        )
    return "\n".join(lines)


def coverage_markdown(data_dir=DATA_DIR) -> str:
    """A table of every table's reach in time: first and last period, and the columns they are read from."""
    lines = ["| Table | Rows | First | Last | Read from |", "|---|---|---|---|---|"]
    for row in coverage_summary(data_dir).itertuples(index=False):
        lines.append(
            f"| {_cell(code(row.table))} | {row.rows} | {_cell(row.first)} | {_cell(row.last)} | "
            f"{_cell(row.read_from)} |"
        )
    return "\n".join(lines)


def data_dictionary(data_dir=DATA_DIR) -> str:
    """The whole dictionary as Markdown: one section per table, each checked by loading the table."""
    parts = [
        "**How far each table reaches** (generated from the tables: the earliest start and latest end of "
        "the columns each manifest names under `coverage`)\n\n" + coverage_markdown(data_dir)
    ]
    for name in table_names(data_dir):
        parts.append(table_markdown(read_manifest(name, data_dir), len(load(name, data_dir=data_dir))))
    return "\n\n---\n\n".join(parts)
