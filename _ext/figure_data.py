"""Under every chart, a "Data (CSV)" link to exactly the numbers it plots.

Each chart cell's output carries, beside its PNG, the CSV :func:`iranrussia.charts.show` made of the values the
chart draws (mimetype :data:`iranrussia.figuredata.MIMETYPE`; MyST-NB shows the PNG and ignores the rest). As
Sphinx reads a notebook, the CSVs of its figures are kept in the environment by figure name; when a page is
resolved, each such figure gets a legend holding the link; after a successful build, the CSVs are written to
``data/figures/<figure name>.csv`` of the HTML (figure names are unique across the book, see the tests). The
CSV is a download, never rendered: nothing of it reaches a page but its file name, which is the figure's name.

MyST-NB renders every mimetype of an output as it reads a notebook and warns (an error here) on one it does not
know; it asks its mime-renderer plugins first. :class:`FigureDataRenderer` is such a plugin (MyST-NB's
``MimeRenderPlugin`` protocol) for the CSV's mimetype alone: it renders nothing and is never chosen for display.
MyST-NB finds plugins through installed packages' entry points, and the book is not an installed package, so
the plugin is added to the list MyST-NB's ``load_mime_renders`` returns; every other mimetype meets MyST-NB's
own renderers and warnings as before.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import myst_nb.core.render as nb_render
from docutils import nodes
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

from iranrussia.figuredata import DOWNLOAD_DIR, LINK_TEXT, MIMETYPE, figure_data

ENV_KEY = "iranrussia_figure_data"  # docname -> {figure name: CSV text}
LINK_CLASS = "figure-data-link"

logger = logging.getLogger(__name__)


def _kept(env) -> dict[str, dict[str, str]]:
    if not hasattr(env, ENV_KEY):
        setattr(env, ENV_KEY, {})
    return getattr(env, ENV_KEY)


def _read(app, doctree) -> None:
    env = app.env
    source = Path(env.doc2path(env.docname))
    if source.suffix == ".ipynb":
        found = figure_data(json.loads(source.read_text(encoding="utf-8")))
        if found:
            _kept(env)[env.docname] = found


def _purge(app, env, docname) -> None:
    _kept(env).pop(docname, None)


def _merge(app, env, docnames, other) -> None:
    theirs = getattr(other, ENV_KEY, {})
    _kept(env).update({docname: theirs[docname] for docname in docnames if docname in theirs})


def _link_data(app, doctree, docname) -> None:
    found = _kept(app.env).get(docname, {})
    if not found or app.builder.format != "html":
        return
    page = app.builder.get_target_uri(docname)
    for figure in doctree.findall(nodes.figure):
        name = next((i for i in figure["ids"] if i in found), None)
        if name is None:
            continue
        href = relative_uri(page, f"{DOWNLOAD_DIR}/{name}.csv")
        link = nodes.reference("", LINK_TEXT, internal=True, refuri=href, classes=[LINK_CLASS])
        figure += nodes.legend("", nodes.paragraph("", "", link))


def _write(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / DOWNLOAD_DIR
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.csv"):
        old.unlink()  # a chart removed since the last build leaves no download behind
    count = 0
    for found in _kept(app.env).values():
        for name, text in found.items():
            (out / f"{name}.csv").write_text(text, encoding="utf-8")
            count += 1
    logger.info("[figure_data] %d chart data files written to %s", count, out)


class FigureDataRenderer:
    """Renders a chart's data CSV as nothing (it is a download); refuses every other mimetype."""

    mime_priority_overrides = [("*", MIMETYPE, None)]  # never the output shown

    @staticmethod
    def handle_mime(renderer, data, inline: bool):
        return [] if data.mime_type == MIMETYPE else None


def _with_figure_data(load_mime_renders):
    @functools.cache
    def load_with_figure_data():
        return [*load_mime_renders(), FigureDataRenderer]

    load_with_figure_data.without_figure_data = load_mime_renders
    return load_with_figure_data


def setup(app):
    # render_mime_type and get_mime_priority call the module's load_mime_renders at call time; setup() may run
    # more than once in one process (tests): add the plugin once.
    if not hasattr(nb_render.load_mime_renders, "without_figure_data"):
        nb_render.load_mime_renders = _with_figure_data(nb_render.load_mime_renders)
    app.connect("doctree-read", _read)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("doctree-resolved", _link_data)
    # After data_downloads (priority 500), which replaces the whole data/ folder of the HTML.
    app.connect("build-finished", _write, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
