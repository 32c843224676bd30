"""Let Sphinx read and write this book's pages in parallel (``-j``, one process per core).

Sphinx falls back to a serial read, with a warning (an error under ``-W``), if any extension does not declare
whether it is safe to run in parallel. Two of the extensions Jupyter Book 1 always loads declare nothing:
``sphinx_multitoc_numbering`` (it renumbers sections once all pages are read) and ``sphinx_jupyterbook_latex``
(it acts only on LaTeX builds). Neither keeps per-page state that a parallel read would lose, and the book's
HTML built with ``-j 2`` is byte for byte the HTML of a serial build (compared file by file when this was
added); so both are declared safe here. Any other undeclared extension still forces the serial read and fails
the strict build, as it should.
"""

from __future__ import annotations

UNDECLARED_BUT_SAFE = ("sphinx_multitoc_numbering", "sphinx_jupyterbook_latex")


def _declare(app, config) -> None:
    for name in UNDECLARED_BUT_SAFE:
        extension = app.extensions.get(name)
        if extension is not None:
            extension.parallel_read_safe = True
            extension.parallel_write_safe = True


def setup(app):
    app.connect("config-inited", _declare)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
