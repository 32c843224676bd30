"""Ship the book's data with the HTML: every table, its manifest, a Frictionless data package and one zip.

After a successful HTML build, ``_build/html/data/`` gets ``<name>.csv`` and ``<name>.yml`` for every table
(byte copies), ``datapackage.json`` (described from the manifests, :mod:`iranrussia.datapackage`), the licence
files and ``iran-russia-data.zip`` holding all of them, the same bytes on every build. A failed build writes
nothing: its HTML is incomplete, and downloads beside it would look finished. The tables come from the
book's source folder (Sphinx's ``srcdir``), the same files the notebooks were executed on; a book with no
tables there (the test suite's one-chapter books) gets no downloads.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.util import logging

from iranrussia.datapackage import write_downloads

DOWNLOADS_DIR = "data"  # under the HTML root: data/<name>.csv, data/datapackage.json, data/iran-russia-data.zip

logger = logging.getLogger(__name__)


def _write_downloads(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    root = Path(app.srcdir)
    if not any((root / "data").glob("*.yml")):
        logger.info("[data_downloads] no tables in %s: no data downloads written", root / "data")
        return
    written = write_downloads(
        Path(app.outdir) / DOWNLOADS_DIR, root / "data", root=root, bibliography=root / "references.bib"
    )
    logger.info("[data_downloads] %d files written to %s", len(written), Path(app.outdir) / DOWNLOADS_DIR)


def setup(app):
    app.connect("build-finished", _write_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
