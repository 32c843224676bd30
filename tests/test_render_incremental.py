"""The incremental render: which changes let ``tasks.py build`` reuse the last build's environment, and that a
render reusing it is still strict. A page that no longer gives what an unchanged page refers to fails the
build, even when the changed page's file carries an old modification time (Sphinx alone would not re-read it).
The builds are of a three-page book with the book's own configuration and extensions."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from iranrussia.maintenance import ENVIRONMENT, book_pages, build_book, incremental_rereads
from iranrussia.paths import REPO_ROOT


@pytest.fixture
def finished_build(tmp_path):
    """An output folder holding what a finished build leaves: the environment Sphinx pickled."""
    (tmp_path / ENVIRONMENT).parent.mkdir(parents=True)
    (tmp_path / ENVIRONMENT).write_bytes(b"")
    return tmp_path


def test_every_page_of_the_table_of_contents_is_a_page_source():
    pages = book_pages()
    assert pages["intro.md"] == "intro" and pages["notebooks/arms-flows.ipynb"] == "notebooks/arms-flows"
    assert set(pages) >= {f"notebooks/{p.name}" for p in (REPO_ROOT / "notebooks").glob("*.ipynb")}
    assert "README.md" not in pages and "LICENSE-DATA.md" not in pages


def test_changed_pages_and_tables_reuse_the_environment_and_re_read_only_those_pages(finished_build):
    changes = ["data/events.csv", "data/events.yml", "notebooks/trade-trajectory.ipynb", "intro.md"]
    assert incremental_rereads(changes, finished_build) == ["intro", "notebooks/trade-trajectory"]
    assert incremental_rereads(["data/events.csv"], finished_build) == []


@pytest.mark.parametrize(
    "changed",
    [
        "_config.yml",
        "_toc.yml",
        "_ext/book_style.py",
        "_static/book.css",
        "references.bib",
        "LICENSE-DATA.md",
        "CITATION.cff",
        "requirements.txt",
        "iranrussia/datapackage.py",
        "no finished build",
    ],
)
def test_any_other_change_reads_every_page(finished_build, changed):
    assert incremental_rereads(["notebooks/arms-flows.ipynb", changed], finished_build) is None


def test_no_environment_from_the_last_build_reads_every_page(tmp_path):
    assert incremental_rereads(["notebooks/arms-flows.ipynb"], tmp_path) is None


SMALL_BIB = """@misc{agency-2024-report,
  author = {{News Agency}}, title = {A report}, howpublished = {News Agency}, year = {2024},
  url = {https://example.org/report}, urldate = {2026-11-01},
}
"""


def small_book(root: Path) -> Path:
    shutil.copy(REPO_ROOT / "_config.yml", root / "_config.yml")
    for name in ("_ext", "_static"):
        shutil.copytree(REPO_ROOT / name, root / name)
    (root / "references.bib").write_text(SMALL_BIB, encoding="utf-8")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n  - file: a\n  - file: b\n", encoding="utf-8"
    )
    (root / "intro.md").write_text("# A small book\n\nTwo pages follow.\n", encoding="utf-8")
    (root / "a.md").write_text("# Page A\n\n(the-target)=\n## The target\n\nSome text.\n", encoding="utf-8")
    (root / "b.md").write_text("# Page B\n\nSee {ref}`the-target`.\n", encoding="utf-8")
    return root


def test_a_render_reusing_the_environment_still_fails_on_a_warning_of_an_unchanged_page(tmp_path):
    root = small_book(tmp_path)
    build_book(root, jobs=1, source_root=root)  # fresh and strict: passes
    assert "The target" in (root / "_build" / "html" / "b.html").read_text(encoding="utf-8")
    # Page A loses the label page B links to; its file keeps a time from before the last build.
    a = root / "a.md"
    before = a.stat()
    a.write_text("# Page A\n\nNo target any more.\n", encoding="utf-8")
    os.utime(a, ns=(before.st_atime_ns, before.st_mtime_ns - 10**12))
    with pytest.raises(SystemExit) as failed:
        build_book(root, jobs=1, source_root=root, reread=["a"])
    message = str(failed.value)
    assert "the strict build failed" in message and "b.md" in message and "the-target" in message
