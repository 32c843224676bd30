"""Stale notebooks are caught in a second: every committed notebook's fingerprint (what its outputs were
computed from, recorded when it ran) must match the files as they are now.

The first test is the one that matters in CI; it runs before nbval's slow re-execution (see conftest.py). The
others check that the fingerprint notices each kind of change and records reads as they happen.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import nbformat
import pytest

from iranrussia import fingerprint
from iranrussia.maintenance import execute_notebook

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_up_to_date_with_what_it_read(path):
    changed = fingerprint.changes(fingerprint.read_notebook(path))
    assert not changed, (
        f"{path.relative_to(REPO_ROOT)} is stale: {'; '.join(changed)} changed since it was executed. "
        "Run `python3 tasks.py build` (it re-executes exactly the stale notebooks) and commit the notebook."
    )


# ---------------------------------------------------------------- what the fingerprint notices ----


@pytest.fixture
def book(tmp_path) -> Path:
    """A scratch copy of what fingerprints refer to: the package, two tables, the bibliography, requirements."""
    shutil.copytree(REPO_ROOT / "iranrussia", tmp_path / "iranrussia", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "data").mkdir()
    for name in ("events.csv", "events.yml", "claims.csv", "claims.yml"):
        shutil.copy(REPO_ROOT / "data" / name, tmp_path / "data" / name)
    for name in fingerprint.ALWAYS:
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    return tmp_path


def executed(book: Path, reads: list[str], code: str = "print(1)") -> dict:
    """A notebook as if executed now in ``book``, having read the files ``reads`` (paths relative to it)."""
    notebook = {"cells": [{"cell_type": "code", "source": code}, {"cell_type": "markdown", "source": "Prose"}]}
    digests = {path: fingerprint.file_digest(path, book) for path in reads}
    notebook["metadata"] = {"book": {"fingerprint": fingerprint.fingerprint(notebook, digests, book)}}
    return notebook


def test_a_notebook_whose_inputs_are_unchanged_is_current(book):
    assert fingerprint.changes(executed(book, ["data/events.csv", "data/*.yml"]), book) == []


def test_a_changed_table_makes_exactly_its_readers_stale(book):
    reader = executed(book, ["data/events.csv", "data/events.yml"])
    other = executed(book, ["data/claims.csv", "data/claims.yml"])
    with open(book / "data" / "events.csv", "a", encoding="utf-8") as table:
        table.write("\n")
    assert fingerprint.changes(reader, book) == ["data/events.csv (changed)"]
    assert fingerprint.changes(other, book) == []


def test_a_manifest_edit_or_a_deleted_table_is_a_change(book):
    notebook = executed(book, ["data/events.csv", "data/events.yml"])
    (book / "data" / "events.yml").write_text("edited\n", encoding="utf-8")
    (book / "data" / "events.csv").unlink()
    assert fingerprint.changes(notebook, book) == ["data/events.csv (gone)", "data/events.yml (changed)"]


def test_a_new_table_changes_the_listing_but_not_a_single_tables_reader(book):
    lister, reader = executed(book, ["data/*.yml"]), executed(book, ["data/events.csv"])
    shutil.copy(book / "data" / "events.yml", book / "data" / "new_table.yml")
    assert fingerprint.changes(lister, book) == ["data/*.yml (changed)"]
    assert fingerprint.changes(reader, book) == []


def test_a_reference_check_depends_only_on_the_columns_it_compares(book):
    """Loading claims checks that each evidence reference finds its rows: that reads the referenced tables'
    key columns only, so an edit to another cell of theirs leaves a claims reader current."""
    reader = executed(book, ["data/events.csv#event_id"])
    events = book / "data" / "events.csv"
    header, first, *rest = events.read_text(encoding="utf-8").splitlines(keepends=True)
    assert header.startswith("event_id,") and first.startswith("E001,")
    events.write_text(header + first.replace("E001,", "E001,x") + "".join(rest), encoding="utf-8")  # 2nd column
    assert fingerprint.changes(reader, book) == []
    events.write_text(header + first.replace("E001,", "E999,", 1) + "".join(rest), encoding="utf-8")
    assert fingerprint.changes(reader, book) == ["data/events.csv#event_id (changed)"]


def test_loading_claims_records_its_own_table_whole_and_of_the_referenced_tables_the_compared_columns(
    tmp_path, monkeypatch
):
    from iranrussia import load

    log = tmp_path / "reads.jsonl"
    monkeypatch.setenv(fingerprint.READS_ENV, str(log))
    load("claims")
    reads = fingerprint.recorded_reads(log)
    whole = {p for p in reads if "#" not in p}
    assert whole == {"data/claims.csv", "data/claims.yml"}
    referenced = {p.split("#")[0] for p in reads if "#" in p}
    assert {"data/drones_milestones.csv", "data/trade_bilateral.csv"} <= referenced
    assert all(digest is not None for digest in reads.values())


def test_code_cells_count_and_markdown_cells_do_not(book):
    notebook = executed(book, [])
    notebook["cells"][1]["source"] = "Other prose"
    assert fingerprint.changes(notebook, book) == []
    notebook["cells"][0]["source"] = "print(2)"
    assert fingerprint.changes(notebook, book) == ["its code cells"]


def test_any_package_file_added_or_changed_and_the_files_every_notebook_needs(book):
    notebook = executed(book, [])
    (book / "iranrussia" / "new_helper.py").write_text("X = 1\n", encoding="utf-8")
    (book / "iranrussia" / "book.mplstyle").write_text("font.size: 30\n", encoding="utf-8")
    for name in fingerprint.ALWAYS:
        (book / name).write_text("changed\n", encoding="utf-8")
    assert fingerprint.changes(notebook, book) == [
        "iranrussia/book.mplstyle (package)",
        "iranrussia/new_helper.py (package)",
        "references.bib (changed)",
        "requirements.txt (changed)",
    ]


def test_a_notebook_never_executed_by_the_book_is_stale(book):
    assert fingerprint.changes({"cells": [], "metadata": {}}, book) == ["no fingerprint: never executed by tasks.py"]


def test_reads_are_recorded_only_in_a_recorded_run(tmp_path, monkeypatch):
    log = tmp_path / "reads.jsonl"
    monkeypatch.delenv(fingerprint.READS_ENV, raising=False)
    fingerprint.note_read(tmp_path / "x.csv", b"a")
    assert not log.exists()
    monkeypatch.setenv(fingerprint.READS_ENV, str(log))
    fingerprint.note_read(tmp_path / "x.csv", b"a")
    fingerprint.note_read(tmp_path / "x.csv", b"a")  # twice, same bytes: one entry
    assert fingerprint.recorded_reads(log) == {(tmp_path / "x.csv").as_posix(): fingerprint.sha256(b"a")}
    fingerprint.note_read(tmp_path / "x.csv", b"b")
    with pytest.raises(RuntimeError, match="x.csv changed while the notebook ran"):
        fingerprint.recorded_reads(log)


def test_executing_records_the_tables_a_notebook_loads_even_under_a_computed_name(tmp_path, capfd):
    """A real kernel: the notebook loads a table whose name it computes, which no scan of its source finds."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("events.csv", "events.yml"):
        shutil.copy(REPO_ROOT / "data" / name, data / name)
    code = textwrap.dedent(f"""\
        from iranrussia import load
        name = "".join(["ev", "ents"])
        print(len(load(name, data_dir={str(data)!r})))
        """)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "reader.ipynb"
    nbformat.write(notebook, path)
    execute_notebook(path)
    # The kernel runs on local sockets: it has nothing to warn about (no "running over TCP without encryption").
    assert "IPKernelApp" not in capfd.readouterr().err
    saved = json.loads(path.read_text(encoding="utf-8"))
    reads = saved["metadata"]["book"]["fingerprint"]["reads"]
    assert {(data / "events.csv").as_posix(), (data / "events.yml").as_posix()} <= set(reads)
    assert fingerprint.changes(saved) == []
    with open(data / "events.csv", "a", encoding="utf-8") as table:
        table.write("\n")
    assert fingerprint.changes(saved) == [f"{(data / 'events.csv').as_posix()} (changed)"]


# ------------------------------------------------------------------------- what the HTML is made of ----


def test_the_render_is_stale_until_a_stamp_matches_every_input(book, tmp_path):
    output = tmp_path / "out"
    assert fingerprint.render_changes(output, book) == ["no finished build"]
    (output / "_build" / "html").mkdir(parents=True)
    (output / "_build" / "html" / "index.html").write_text("<html></html>", encoding="utf-8")
    (book / "intro.md").write_text("# Intro\n", encoding="utf-8")
    stamp = output / fingerprint.RENDER_STAMP
    stamp.write_text(json.dumps(fingerprint.render_inputs(book)), encoding="utf-8")
    assert fingerprint.render_changes(output, book) == []
    (book / "README.md").write_text("Not a page of the book\n", encoding="utf-8")
    assert fingerprint.render_changes(output, book) == []
    (book / "intro.md").write_text("# Changed\n", encoding="utf-8")
    (book / "_toc.yml").write_text("root: intro\n", encoding="utf-8")
    assert fingerprint.render_changes(output, book) == ["_toc.yml", "intro.md"]
