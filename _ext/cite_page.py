"""The "Cite and reuse" page and the licence line in every page's footer, both built from the project's files.

The page (``cite.md``, a stub in the repository) is written at build time from ``CITATION.cff`` (how to cite:
title, authors, version, date, a plain-text citation and a BibTeX entry) and ``LICENSE-DATA.md`` (the
licences), so that it never drifts from them. Values from ``CITATION.cff`` are data: they reach the page
escaped (:func:`iranrussia.page.escape`) or inside code blocks, never as markup. ``LICENSE-DATA.md`` is
rendered as plain CommonMark with raw HTML off (markdown-it, not MyST), so its links, emphasis and lists
show, while nothing in it can become a MyST directive, role or HTML element of its own.

The footer gives the licences (the code licence read from ``CITATION.cff``) and links to the page through
Sphinx's ``pathto``, so the link works from pages at the root and in ``notebooks/`` alike.
"""

from __future__ import annotations

import html
import posixpath
import re
import unicodedata
import urllib.parse
from pathlib import Path

from markdown_it import MarkdownIt

from iranrussia.citation import author_names, read_citation
from iranrussia.page import Markup, code, escape, link

CITE_DOCNAME = "cite"
CITATION_FILE = "CITATION.cff"
LICENCE_FILE = "LICENSE-DATA.md"
DATA_DICTIONARY = "notebooks/data-dictionary.ipynb"
# Written into the HTML output root by the data-downloads step (not Sphinx documents: plain links).
DOWNLOADS = (
    ("data/iran-russia-data.zip", "the book's data tables, in one ZIP file"),
    ("data/datapackage.json", "a machine-readable description of the tables (a Frictionless data package)"),
)
TEXT_LICENCE = ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/")  # as LICENSE-DATA.md states
LICENCE_HEADING_SHIFT = 2  # LICENSE-DATA.md's "#" sits under the page's "##" Licences section: it becomes <h3>


def repository_address(cff: dict) -> str | None:
    """The git repository's http(s) address, if CITATION.cff gives one (``repository-code``, else ``url``)."""
    for key in ("repository-code", "url"):
        value = str(cff.get(key) or "").strip()
        if re.match(r"https?://[^\s/]", value, re.ASCII):
            return value
    return None


def _release_date(cff: dict) -> str:
    return str(cff["date-released"])  # YAML gives a date object for an unquoted date: str() is its ISO form


def plain_citation(cff: dict) -> str:
    authors = author_names(cff)
    who = authors[0] if len(authors) == 1 else ", ".join(authors[:-1]) + " and " + authors[-1]
    released = _release_date(cff)
    text = f"{who} ({released[:4]}). {cff['title']} (version {cff['version']}), released {released}."
    address = repository_address(cff)
    return f"{text} {address}" if address else text


_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def bibtex_text(value: object) -> str:
    """``value`` as BibTeX field text: LaTeX's special characters escaped, white space runs made one space."""
    flat = " ".join(str(value).split())
    return re.sub(r"[\\{}&%$#_~^]", lambda m: _BIBTEX_SPECIAL[m.group(0)], flat)


def bibtex_key(cff: dict) -> str:
    """The first three ASCII words of the title and the release year: ``iran-russia-relations-2026``."""
    letters = "".join(c for c in unicodedata.normalize("NFKD", str(cff["title"])) if not unicodedata.combining(c))
    words = re.findall(r"[a-z0-9]+", letters.lower())  # any other character (a dash, a colon) splits words
    return "-".join([*words[:3], _release_date(cff)[:4]])


def bibtex_entry(cff: dict) -> str:
    authors = []
    for author in cff["authors"]:
        if author.get("name"):  # an entity: braces keep BibTeX from splitting it into first and last names
            authors.append("{" + bibtex_text(author["name"]) + "}")
        else:
            family = " ".join(str(author[k]) for k in ("name-particle", "family-names") if author.get(k))
            authors.append(", ".join(bibtex_text(p) for p in (family, author.get("given-names")) if p))
    released = _release_date(cff)
    fields = [
        ("author", " and ".join(authors)),
        ("title", "{" + bibtex_text(cff["title"]) + "}"),  # inner braces: styles must not change its case
        ("year", released[:4]),
        ("version", bibtex_text(cff["version"])),
        ("note", f"Version {bibtex_text(cff['version'])}, released {bibtex_text(released)}"),
    ]
    address = repository_address(cff)
    if address:
        fields.append(("url", address.replace("{", "%7B").replace("}", "%7D")))
    body = "".join(f"  {name} = {{{value}}},\n" for name, value in fields)
    return f"@misc{{{bibtex_key(cff)},\n{body}}}"


def licence_html(markdown_text: str) -> str:
    """LICENSE-DATA.md as HTML: CommonMark only, raw HTML off, headings moved down under the page's own."""
    parser = MarkdownIt("commonmark", {"html": False})
    tokens = parser.parse(markdown_text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1:]) + LICENCE_HEADING_SHIFT)}"
    return parser.renderer.render(tokens, parser.options, {})


def _fenced(text: str, info: str, mark: str = "`") -> str:
    """A fenced block holding ``text`` verbatim: the fence is longer than any run of its mark inside."""
    longest = max((len(run) for run in re.findall(re.escape(mark) + "+", text)), default=0)
    fence = mark * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def _relative(target: str, docname: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(docname) or ".")


def cite_page(cff: dict, licence_markdown: str, docname: str = CITE_DOCNAME) -> str:
    """The MyST source of the Cite and reuse page."""
    address = repository_address(cff)
    facts = [
        Markup("- **Title:** *{}*").format(cff["title"]),
        Markup("- **Authors:** {}").format(", ".join(author_names(cff))),
        Markup("- **Version:** {}").format(cff["version"]),
        Markup("- **Released:** {}").format(_release_date(cff)),
    ]
    if address:
        facts.append(Markup("- **Repository:** ") + link(address, address))
    downloads = "\n".join(
        f'<li><a href="{html.escape(_relative(path, docname))}" download>{html.escape(posixpath.basename(path))}</a>'
        f": {html.escape(what)}</li>"
        for path, what in DOWNLOADS
    )
    sections = [
        "# Cite and reuse",
        escape(cff.get("message") or ""),
        "## How to cite the book",
        "\n".join(facts),
        "As plain text:",
        Markup("> ") + plain_citation(cff),
        "As a BibTeX entry:",
        _fenced(bibtex_entry(cff), "bibtex"),
        Markup("These are generated from the repository's ")
        + code(CITATION_FILE)
        + Markup(", the file GitHub and Zenodo read for citations."),
        "## Licences",
        Markup("The text of ") + code(LICENCE_FILE) + Markup(", as it stands in the repository:"),
        _fenced('<div class="licence-text">\n' + licence_html(licence_markdown) + "</div>", "{raw} html"),
        "## Citing third-party data",
        "Tables built from other producers' data keep their producers' terms: cite those producers as well as "
        f"the book. The [data dictionary]({_relative(DATA_DICTIONARY, docname)}) gives, for each table, its "
        "producer, licence and the credit line to use.",
        "## Downloads",
        "The tables, as published with this edition of the book:",
        _fenced(f"<ul>\n{downloads}\n</ul>", "{raw} html"),
        "Each chapter ends with the commands that rerun it from a copy of the repository.",
    ]
    return "\n\n".join(str(section) for section in sections if section) + "\n"


def footer_html(cite_href: str | None, code_licence: str | None) -> str:
    """The licence line of every page's footer; ``cite_href`` is the Cite and reuse page relative to the page."""
    name, url = TEXT_LICENCE
    parts = [
        f'The book\'s text and its own data compilations are under <a rel="license" href="{url}">{name}</a>; '
        "third-party data keep their producers' terms."
    ]
    if code_licence:
        spdx = "https://spdx.org/licenses/" + urllib.parse.quote(code_licence, safe="") + ".html"
        parts.append(f'Code: <a href="{html.escape(spdx)}">{html.escape(code_licence)}</a>.')
    if cite_href:
        parts.append(f'<a class="cite-reuse-link" href="{html.escape(cite_href)}">Cite and reuse</a>')
    return '<p class="book-licence">' + " ".join(parts) + "</p>"


def _write_cite_page(app, docname, source):
    if docname != CITE_DOCNAME:
        return
    root = Path(app.confdir)
    for name in (CITATION_FILE, LICENCE_FILE):
        app.env.note_dependency(str(root / name))  # an edit of either re-reads the page
    cff = read_citation(root / CITATION_FILE)
    source[0] = cite_page(cff, (root / LICENCE_FILE).read_text(encoding="utf-8"), docname)


def _add_footer(app, pagename, templatename, context, doctree):
    citation = Path(app.confdir) / CITATION_FILE
    licence = str(read_citation(citation).get("license") or "") if citation.is_file() else ""
    cite_href = context["pathto"](CITE_DOCNAME) if CITE_DOCNAME in app.env.found_docs else None
    # sphinx-book-theme shows theme_extra_footer (Jupyter Book's html.extra_footer) as raw HTML, the same on
    # every page; set per page instead, so that the relative link fits the page's folder.
    context["theme_extra_footer"] = footer_html(cite_href, licence or None)


def setup(app):
    app.connect("source-read", _write_cite_page)
    app.connect("html-page-context", _add_footer)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
