"""End every page built from ``notebooks/*.ipynb`` with a "Rerun this chapter" section: the commands that get the
repository, bring the book up to date, and re-execute and check that one notebook (see README.md, tasks.py).

The section is added to the page's document tree as Sphinx reads it, before Sphinx collects the page's table
of contents (so it shows in "On this page"); the notebooks themselves are not touched. It declares no label,
so it cannot collide with one of the chapter's.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from cite_page import CITATION_FILE, read_citation, repository_address
from docutils import nodes

TITLE = "Rerun this chapter"
CLONE_FOLDER = "iran-russia-book"
# Sphinx's table-of-contents collector reads each page's sections at the default priority (500): run first.
BEFORE_TOC_COLLECTOR = 400


def rerun_commands(notebook: str, repository: str | None) -> str:
    """The shell commands, each under a comment saying what it does. ``notebook``: "notebooks/<name>.ipynb"."""
    steps = [
        ("Get the book: code, data and notebooks", f"git clone {repository or 'REPOSITORY'} {CLONE_FOLDER}"),
        ("", f"cd {CLONE_FOLDER}"),
        ("Re-execute the notebooks that are stale, then render the book in _build/html", "python3 tasks.py build"),
        (
            "Re-execute this chapter in a fresh kernel and compare its outputs with the committed ones",
            f"python3 tasks.py test {notebook}",
        ),
        ("Re-execute this chapter and save its outputs in place", f"python3 tasks.py execute {notebook}"),
        ("Re-execute every notebook, then render", "python3 tasks.py build --force"),
    ]
    return "\n".join(f"# {why}\n{command}" if why else command for why, command in steps)


def rerun_section(document: nodes.document, notebook: str, repository: str | None) -> nodes.section:
    section_id = nodes.make_id(TITLE)
    while section_id in document.ids:  # a chapter heading of the same name already took the id
        section_id += "-1"
    section = nodes.section(ids=[section_id])
    document.ids[section_id] = section
    section += nodes.title(TITLE, TITLE)
    section += nodes.paragraph(
        "",
        "You need Python 3.11 and git; tasks.py installs everything else into .venv, from the pinned "
        "requirements.txt, on first use. The test command also needs Chromium (see the repository's README)."
        + ("" if repository else " REPOSITORY stands for the address of the book's git repository."),
    )
    commands = rerun_commands(notebook, repository)
    section += nodes.literal_block(commands, commands, language="bash")
    return section


def _append_rerun_section(app, doctree):
    docname = app.env.docname
    source = PurePosixPath(Path(app.env.doc2path(docname)).relative_to(app.srcdir).as_posix())
    if source.parent != PurePosixPath("notebooks") or source.suffix != ".ipynb":
        return
    citation = Path(app.confdir) / CITATION_FILE
    repository = repository_address(read_citation(citation)) if citation.is_file() else None
    # The page's title section holds the chapter; the new section closes it, after the chapter's last one.
    chapter = next((child for child in reversed(doctree.children) if isinstance(child, nodes.section)), doctree)
    chapter += rerun_section(doctree, source.as_posix(), repository)


def setup(app):
    app.connect("doctree-read", _append_rerun_section, priority=BEFORE_TOC_COLLECTOR)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
