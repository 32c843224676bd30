"""The render that ``tasks.py build`` starts beside the execution of the stale notebooks: Sphinx reads the pages
that wait for nothing first and each waited-for page only once its marker says it is saved, in the order they
are saved; a failed execution or a lost parent stops it (_ext/read_when_executed.py). The build is of a
three-page book with the book's own configuration and extensions."""

from __future__ import annotations

import os
import sys
import time

import pytest
from test_render_incremental import small_book

from iranrussia.maintenance import Render, executed_marker
from iranrussia.paths import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "_ext"))  # the book's local Sphinx extensions, as _config.yml loads them
import read_when_executed  # noqa: E402


def gate_folder(tmp_path, waiting: list[str]):
    folder = tmp_path / "gate"
    folder.mkdir()
    (folder / "waiting").write_text("\n".join(waiting) + "\n", encoding="utf-8")
    return folder


def test_pages_are_read_as_they_are_saved_after_those_that_wait_for_nothing(tmp_path):
    folder = gate_folder(tmp_path, ["notebooks/b", "notebooks/c"])
    (folder / executed_marker("notebooks/c")).touch()
    order = read_when_executed._InReadinessOrder(["a", "notebooks/b", "notebooks/c", "d"], folder, os.getppid())
    assert len(order) == 4
    read = []
    for docname in order:
        read.append(docname)
        if docname == "notebooks/c":  # b is saved only after c has been read: the read must wait for it
            assert not (folder / executed_marker("notebooks/b")).exists()
            (folder / executed_marker("notebooks/b")).touch()
    assert read == ["a", "d", "notebooks/c", "notebooks/b"]


def test_a_failed_execution_stops_the_read_before_the_pages_it_waits_for(tmp_path):
    folder = gate_folder(tmp_path, ["notebooks/b"])
    pages = iter(read_when_executed._InReadinessOrder(["a", "notebooks/b"], folder, os.getppid()))
    assert next(pages) == "a"
    (folder / "failed").touch()
    with pytest.raises(RuntimeError, match="execution failed"):
        next(pages)


def test_a_render_whose_build_is_gone_stops(tmp_path):
    folder = gate_folder(tmp_path, ["notebooks/b"])
    not_the_parent = os.getppid() + 1
    with pytest.raises(RuntimeError, match="is gone"):
        list(read_when_executed._InReadinessOrder(["notebooks/b"], folder, not_the_parent))


def test_markers_name_one_file_per_page():
    assert executed_marker("notebooks/arms-flows") == "executed-notebooks--arms-flows"
    assert executed_marker("notebooks/a") != executed_marker("notebooks-a")


def test_the_render_reads_a_waited_for_page_only_once_it_is_saved(tmp_path):
    (tmp_path / "book").mkdir()
    root = small_book(tmp_path / "book")
    folder = gate_folder(tmp_path, ["a"])
    render = Render(root, 1, source_root=root, gate=folder)
    try:
        # Sphinx reads a.md first when nothing holds it back (its pages in name order: a, b, intro). Only once
        # the two other pages are read is page A given its final text and marked saved.
        doctrees = [root / "_build" / ".doctrees" / f"{name}.doctree" for name in ("b", "intro")]
        deadline = time.monotonic() + 120
        while not all(p.exists() for p in doctrees):
            assert render.process.poll() is None, "the render ended without waiting for page A"
            assert time.monotonic() < deadline, "the render did not read pages B and intro"
            time.sleep(0.05)
        assert not (root / "_build" / ".doctrees" / "a.doctree").exists()
        (root / "a.md").write_text("# Page A\n\n(the-target)=\n## The target, as executed\n", encoding="utf-8")
        (folder / executed_marker("a")).touch()
    except BaseException:
        render.stop()
        raise
    html = render.finish()
    assert "The target, as executed" in (html / "a.html").read_text(encoding="utf-8")
    assert "The target, as executed" in (html / "b.html").read_text(encoding="utf-8")  # B's link to it resolved
