"""Render the data dictionary page from the manifests, so that columns are described in one place only.

The page has a contents list grouped by subject, then one section per table: a MyST target
``(table-<name>)=`` and a heading naming the table (inside a notebook output myst-nb makes it a rubric, which
the target labels), then its title, description, coverage, rows, key, licence, credit and a download link,
then its columns. Chapters link a table name to its section with :func:`iranrussia.page.table_link`.
"""

from __future__ import annotations

import html

from .coverage import table_coverage
from .data import Column, Manifest, load, read_manifest, table_names
from .page import Markup, code, escape, link, strong, table_link, table_name
from .page import table_cell as _cell
from .paths import DATA_DIR

#: The contents list's groups, in reading order: a heading and the table-name prefixes (or names) it takes.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("The relationship: events, claims and framing", ("events", "claims", "framing_")),
    ("Trade", ("trade_",)),
    ("Oil", ("oil_",)),
    ("Arms transfers", ("arms_",)),
    ("Drones", ("drones_",)),
    ("Iranian opinion", ("opinion_",)),
    ("Western policy", ("policy_",)),
)
OTHER_GROUP = "Other tables"


def group_of(name: str) -> str:
    """The contents group of table ``name``: the first group with a prefix it starts with (or its exact name)."""
    for heading, prefixes in GROUPS:
        if any(name == p or (p.endswith("_") and name.startswith(p)) for p in prefixes):
            return heading
    return OTHER_GROUP


def contents_markdown(manifests: list[Manifest]) -> str:
    """The contents list: per group, a link to each table's section and the table's title."""
    by_group: dict[str, list[Manifest]] = {}
    for manifest in manifests:
        by_group.setdefault(group_of(manifest.name), []).append(manifest)
    lines = []
    for heading in [g for g, _ in GROUPS] + [OTHER_GROUP]:
        if heading in by_group:
            lines.append(Markup("- ") + strong(heading))
            lines += [Markup("  - {}: {}").format(table_link(m.name), m.title) for m in by_group[heading]]
    return Markup("\n").join(lines)


def _says_more(value: object, label: str | None) -> bool:
    """Whether an enum label tells the reader more than its value (``china`` / "China" does not)."""
    if label is None:
        return False
    return " ".join(str(label).casefold().split()) != " ".join(str(value).replace("_", " ").casefold().split())


def _rule(column: Column) -> str:
    parts = []
    if column.required:
        parts.append("required")
    if column.enum is not None:
        labels = column.labels or {}
        # Compact: the values as code, a value's label in parentheses only where it says more than the value.
        parts.append(
            Markup("one of ")
            + Markup(" · ").join(
                Markup("{} ({})").format(code(v), labels[v]) if _says_more(v, labels.get(v)) else code(v)
                for v in column.enum
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


def download_link(manifest: Manifest) -> Markup:
    """A raw HTML link to the table's CSV as the book ships it (``data/<file>`` at the site's root).

    Raw HTML, so that Sphinx does not try to resolve the file as a document or copy it as a download. The page
    is ``notebooks/data-dictionary.html``, hence ``../data/``. The file name is checked, then HTML-escaped.
    """
    filename = manifest.path.name
    table_name(filename.removesuffix(".csv"))  # ValueError unless a table name with ".csv"
    if not filename.endswith(".csv"):
        raise ValueError(f"{filename!r} is not a CSV file name")
    quoted = html.escape(filename, quote=True)
    return Markup(f'<a class="dictionary-download" href="../data/{quoted}" download>{quoted}</a>')


def table_markdown(manifest: Manifest, rows: int, coverage: tuple[str, str] | None = None) -> str:
    """One table's section: target, heading, summary list and the column table (Meaning first)."""
    # Every manifest string is escaped or put in a code span: a manifest is contributed text like a data cell.
    name = table_name(manifest.name)
    lines = [
        Markup(f"(table-{name})="),
        # The heading is the name alone: a heading's text also becomes an id, which must not come from data.
        Markup("## ") + code(name),
        "",
        strong(manifest.title),
        "",
        escape(manifest.description),
        "",
    ]
    if coverage is not None and manifest.coverage is not None:
        first, last = coverage
        start, end = manifest.coverage
        columns = code(start) if start == end else Markup("{} / {}").format(code(start), code(end))
        lines.append(Markup("- Coverage: {} to {} (read from {})").format(first, last, columns))
    lines += [
        Markup("- Rows: {:,}; primary key: {}").format(rows, Markup(", ").join(code(k) for k in manifest.primary_key)),
        Markup("- Licence: {}").format(link(manifest.licence["name"], manifest.licence["url"])),
        Markup("- Credit line: {}").format(manifest.credit),
        Markup("- Download: {} (CSV; {} in the repository)").format(
            download_link(manifest), code(f"data/{manifest.path.name}")
        ),
        Markup("- Producer: {}").format(manifest.producer),
    ]
    if manifest.third_party_terms:
        lines.append(Markup("- Third-party terms: {}").format(manifest.third_party_terms))
    lines.append(
        Markup("- Built by: {}").format(code(manifest.builder)) if manifest.builder else "- Built by: compiled by hand"
    )
    # A container gives the column table a class, for the dictionary's own CSS (_static/dictionary.css).
    lines += [
        "",
        ":::{container} dictionary-columns",
        "| Column | Meaning | Type | Unit | Rule |",
        "|---|---|---|---|---|",
    ]
    for c in manifest.columns:
        lines.append(
            f"| {_cell(code(c.name))} | {_cell(c.description)} | {_cell(c.type)} | {_cell(c.unit or '')} | "
            f"{_cell(_rule(c))} |"
        )
    lines.append(":::")
    return "\n".join(lines)


def coverage_markdown(frames: dict) -> str:
    """A table of every table's reach in time: first and last period, and the columns they are read from."""
    lines = ["| Table | Rows | First | Last | Read from |", "|---|---|---|---|---|"]
    for name, frame in frames.items():
        first, last = table_coverage(frame)
        start, end = frame.attrs["manifest"].coverage
        read_from = start if start == end else f"{start} / {end}"
        lines.append(
            f"| {_cell(table_link(name))} | {len(frame):,} | {_cell(first)} | {_cell(last)} | {_cell(read_from)} |"
        )
    return "\n".join(lines)


def data_dictionary(data_dir=DATA_DIR) -> str:
    """The whole dictionary as Markdown: contents, reach in time, one section per table (each table loaded)."""
    frames = {name: load(name, data_dir=data_dir) for name in table_names(data_dir)}
    manifests = [read_manifest(name, data_dir) for name in frames]
    parts = [
        Markup("**Contents** (one section per table; a name links to it)\n\n") + contents_markdown(manifests),
        "**How far each table reaches** (generated from the tables: the earliest start and latest end of "
        "the columns each manifest names under `coverage`)\n\n" + coverage_markdown(frames),
    ]
    for manifest, frame in zip(manifests, frames.values()):
        coverage = table_coverage(frame) if manifest.coverage is not None else None
        parts.append(table_markdown(manifest, len(frame), coverage))
    return "\n\n---\n\n".join(parts)
