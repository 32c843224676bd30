"""The book's own data folder and bibliography: every table loads clean, nothing is orphaned."""

from __future__ import annotations

import json
import re

import pytest

from iranrussia import load, read_bibliography, read_manifest, split_source_keys, table_names
from iranrussia.paths import BIBLIOGRAPHY, DATA_DIR, NOTEBOOKS_DIR, REPO_ROOT

TABLES = table_names(DATA_DIR)
CITE_ROLE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


def test_the_book_has_tables():
    assert "events" in TABLES


@pytest.mark.parametrize("name", TABLES)
def test_table_loads_clean_against_its_manifest(name):
    frame = load(name)
    assert len(frame) > 0


@pytest.mark.parametrize("name", TABLES)
def test_fact_table_has_a_source_column(name):
    manifest = read_manifest(name)
    assert any(c.source_keys for c in manifest.columns), f"{name}: no column with source_keys: true"


@pytest.mark.parametrize("name", TABLES)
def test_table_declares_its_coverage_columns(name):
    # The data dictionary's coverage table and the chapters' "latest period" statements read these.
    assert read_manifest(name).coverage is not None, f"{name}: add 'coverage: {{start: ..., end: ...}}'"


@pytest.mark.parametrize("name", TABLES)
def test_builder_named_in_manifest_exists(name):
    builder = read_manifest(name).builder
    if builder is not None:
        assert (REPO_ROOT / builder).is_file(), f"{name}: builder {builder} not found"


def test_every_csv_has_a_manifest():
    orphans = sorted(p.name for p in DATA_DIR.glob("*.csv") if p.stem not in TABLES)
    assert not orphans, f"CSV files with no manifest: {orphans}"


def notebook_citations() -> set[str]:
    keys = set()
    for path in NOTEBOOKS_DIR.glob("*.ipynb"):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "markdown":
                for match in CITE_ROLE.finditer("".join(cell["source"])):
                    keys.update(k.strip() for k in match.group(1).split(","))
    for path in REPO_ROOT.glob("*.md"):
        for match in CITE_ROLE.finditer(path.read_text(encoding="utf-8")):
            keys.update(k.strip() for k in match.group(1).split(","))
    return keys


def data_citations() -> set[str]:
    keys = set()
    for name in TABLES:
        frame = load(name)
        for column in read_manifest(name).columns:
            if column.source_keys:
                for cell in frame[column.name].dropna():
                    keys.update(split_source_keys(cell))
    return keys


def test_every_citation_in_prose_resolves():
    missing = notebook_citations() - read_bibliography(BIBLIOGRAPHY).keys()
    assert not missing, f"cited but not in references.bib: {sorted(missing)}"


def test_every_bibliography_entry_is_used():
    unused = read_bibliography(BIBLIOGRAPHY).keys() - notebook_citations() - data_citations()
    assert not unused, f"entries of references.bib that no table row or page cites: {sorted(unused)}"


@pytest.mark.parametrize("name", [n for n in table_names() if "period_type" in read_manifest(n).column_names])
def test_iranian_years_run_nowruz_to_nowruz(name):
    # A row labelled as a whole Iranian year (1402) must span that year's dates (21 Mar 2023 - 19 Mar 2024),
    # never a calendar year: the rule the manifests cite from builders/trade_common.py.
    from builders.trade_common import check_iranian_rows

    check_iranian_rows(load(name))


BUILDER_FILES = sorted(p for p in (REPO_ROOT / "builders").rglob("*.py") if p.name not in ("common.py", "__init__.py"))


@pytest.mark.parametrize("path", BUILDER_FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_builder_writes_only_through_the_manifest(path):
    # Builders hand typed frames to builders.common.run, which writes them through iranrussia.data.write:
    # no writer, column list or number formatter of their own (the table contract lives in the manifest).
    source = path.read_text(encoding="utf-8")
    for pattern in (
        r"\.to_csv\(",
        r"atomic_write",
        r"write_text\(",
        r"refresh_manifest_sha256",
        r"_COLUMNS\s*=",
        r"sys\.path\.insert",
        r":\.\d+f\}",
    ):
        assert not re.search(pattern, source), f"{path.name}: {pattern!r} (write through builders.common.run)"
