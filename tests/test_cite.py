"""Citing and reusing the book: the Sources page's style, the Cite and reuse page, every page's licence footer and
the commands that end each chapter.

The style and the page generator are tested on their own (in memory); the built book is then opened in
Chromium with the fixtures of ``test_browser.py``.
"""

from __future__ import annotations

import re
import sys
import urllib.parse

import pybtex.database
import pybtex.plugin
import pytest
import yaml
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser
from pybtex.database import parse_string
from pybtex.richtext import Text
from pybtex.style.formatting import BaseStyle
from test_browser import SHARDS, browser, page_readings, site  # noqa: F401 - fixtures used by name

from iranrussia.bibliography import read_bibliography
from iranrussia.paths import NOTEBOOKS_DIR, REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "_ext"))  # the book's local Sphinx extensions, as _config.yml loads them
import bibliography_formatted_once  # noqa: E402
import book_style  # noqa: E402
import cite_page  # noqa: E402
import plain_text_fast  # noqa: E402

CONFIG = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))
CITATION = yaml.safe_load((REPO_ROOT / "CITATION.cff").read_text(encoding="utf-8"))
LICENCE_TEXT = (REPO_ROOT / "LICENSE-DATA.md").read_text(encoding="utf-8")
MYST = create_md_parser(MdParserConfig(enable_extensions={"colon_fence", "deflist", "substitution"}), RendererHTML)

NOTE = "Internal: headline checked against a mirror, ask Leila before changing"
ADDENDUM = "In Russian. Title translated from the page address."
TITLE = "Iran and Russia in SIPRI's Arms Transfers Database: Tehran, Moscow and the USSR"
SMALL_BIB = f"""
@misc{{one-misc,
  author = {{{{Stockholm International Peace Research Institute}}}},
  title = {{{TITLE}}},
  howpublished = {{SIPRI}},
  year = {{2024}},
  url = {{https://example.org/sipri}},
  urldate = {{2026-11-01}},
  note = {{{NOTE}}},
  addendum = {{{ADDENDUM}}},
}}
@article{{one-article,
  author = {{Rahimi, Sara}},
  title = {{{TITLE}}},
  journal = {{Journal of Iranian Studies}},
  year = {{2023}},
  month = jul,
  day = {{19}},
  note = {{{NOTE}}},
}}
@misc{{dated-by-a-note,
  author = {{{{TASS}}}},
  title = {{{TITLE}}},
  year = {{2023}},
  month = jun,
  note = {{9 June 2023.}},
}}
@unpublished{{one-unpublished,
  author = {{Rahimi, Sara}},
  title = {{{TITLE}}},
  year = {{2022}},
  note = {{{NOTE}}},
}}
"""


def formatted(key: str) -> str:
    entries = parse_string(SMALL_BIB, "bibtex").entries
    return book_style.Style().format_entry(key, entries[key]).text.render_as("text")


@pytest.mark.parametrize("key", ["one-misc", "one-article", "one-unpublished"])
def test_style_keeps_the_title_as_written_and_prints_no_internal_note(key):
    text = formatted(key)
    assert TITLE in text
    assert "Leila" not in text and "Internal" not in text
    assert "Rahimi" in text or "Stockholm International Peace Research Institute" in text


def test_style_keeps_what_readers_need():
    text = formatted("one-misc")
    for shown in ("SIPRI", "2024", "https://example.org/sipri", "2026-11-01"):
        assert shown in text


def test_style_ends_the_entry_with_the_addendum_and_only_where_there_is_one():
    text = formatted("one-misc")
    assert text.endswith("(visited on 2026-11-01). " + ADDENDUM), text
    for key in ("one-article", "dated-by-a-note", "one-unpublished"):
        assert "In Russian" not in formatted(key)


def test_style_shows_the_day_of_publication():
    assert "19 July 2023" in formatted("one-article")
    # A note that is only the publication date is the date, shown where the date goes.
    assert formatted("dated-by-a-note").count("9 June 2023") == 1


def test_the_book_uses_the_style_and_formats_each_entry_once():
    assert CONFIG["sphinx"]["config"]["bibtex_default_style"] == book_style.STYLE_NAME
    assert "book_style" in CONFIG["sphinx"]["local_extensions"]
    book_style.setup(None)
    assert pybtex.plugin.find_plugin("pybtex.style.formatting", book_style.STYLE_NAME) is book_style.Style
    # The list and the tooltips format each entry with one style object: the second call must be the first's.
    bibliography_formatted_once.setup(None)
    entry = parse_string(SMALL_BIB, "bibtex").entries["one-misc"]
    style = book_style.Style()
    assert style.format_entry("a", entry) is style.format_entry("a", entry)
    assert book_style.Style.format_entry is BaseStyle.format_entry


def test_plain_strings_skip_the_latex_decoder_and_read_the_same():
    database = pybtex.database.parse_file(str(REPO_ROOT / "references.bib"), bib_format="bibtex")
    strings = set()
    for entry in database.entries.values():
        strings.update(str(value) for value in entry.fields.values())
        for person in (p for people in entry.persons.values() for p in people):
            strings.update(person.first_names + person.middle_names + person.prelast_names + person.last_names)
    plain = {s for s in strings if plain_text_fast.PLAIN.fullmatch(s)}
    assert len(plain) > len(strings) / 2  # the shortcut is taken for most of the bibliography
    for text in sorted(strings):
        assert plain_text_fast.from_latex(Text, text) == plain_text_fast.DECODE(Text, text), text
    # Strings the decoder changes are never taken as plain.
    for latex in ("Iran--Russia", "``quoted''", "Caf\\'e", "{The Post}", "a~b", "5%", "x  y", "line\nbreak"):
        assert not plain_text_fast.PLAIN.fullmatch(latex), latex


def directive_fences(markdown: str) -> list:
    return [t for t in MYST.parse(markdown) if t.type == "fence" and t.info.startswith("{")]


def test_cite_page_cites_the_book_as_citation_cff_says():
    page = cite_page.cite_page(cite_page.read_citation(REPO_ROOT / "CITATION.cff"), LICENCE_TEXT)
    fences = {t.info: t.content for t in MYST.parse(page) if t.type == "fence"}
    bibtex = fences["bibtex"]
    assert f"title = {{{{{CITATION['title']}}}}}," in bibtex
    assert f"version = {{{CITATION['version']}}}," in bibtex
    assert f"year = {{{str(CITATION['date-released'])[:4]}}}," in bibtex
    for author in CITATION["authors"]:
        assert author["name"] in bibtex
    html = MYST.render(page)
    plain = re.search(r"<blockquote>\s*<p>(.*?)</p>", html, re.S)[1]
    assert CITATION["title"] in plain and f"version {CITATION['version']}" in plain
    assert f"<em>{CITATION['title']}</em>" in html
    # LICENSE-DATA.md's headings, as written, are in the licence block; the third-party data page is linked.
    licence_block = "".join(t.content for t in directive_fences(page))
    for heading in re.findall(r"^#+ (.+)$", LICENCE_TEXT, re.M):
        assert heading in licence_block
    assert "](notebooks/data-dictionary.ipynb)" in page
    for download in ("data/iran-russia-data.zip", "data/datapackage.json"):
        assert f'href="{download}"' in licence_block


def test_cite_page_shows_hostile_citation_and_licence_text_as_text():
    payload = "<script>window.__pwned=1</script> {raw}`html <b>x</b>` [x](javascript:alert(1))"
    cff = {
        "title": payload,
        "version": "```{raw} html\n<script>window.__pwned=2</script>\n```",
        "date-released": "2026-01-01",
        "message": ":::{warning}\nboo\n:::",
        "authors": [{"name": payload}, {"given-names": "A}", "family-names": "B"}],
    }
    licence = "# Licence\n\n" + payload + "\n\n```{raw} html\n<script>window.__pwned=3</script>\n```\n<iframe src=x>\n"
    page = cite_page.cite_page(cff, licence)
    tokens = [t for token in MYST.parse(page) for t in (token, *(token.children or []))]
    # Only the page's own two raw-HTML blocks are directives; nothing else is a role, HTML or a link of the data.
    assert [t.info for t in directive_fences(page)] == ["{raw} html", "{raw} html"]
    assert not [t for t in tokens if t.type in ("myst_role", "html_inline", "html_block", "colon_fence")]
    assert not [t for t in tokens if t.type == "link_open" and not t.attrs["href"].startswith("notebooks/")]
    raw = "".join(t.content for t in directive_fences(page))
    assert "<script" not in raw and "<iframe" not in raw and 'href="javascript:' not in raw
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in raw  # shown to the reader, as text
    # BibTeX braces from the data are escaped: the entry's own braces still balance.
    bibtex = next(t.content for t in MYST.parse(page) if t.type == "fence" and t.info == "bibtex")
    unescaped = re.sub(r"\\[{}]", "", bibtex)
    assert unescaped.count("{") == unescaped.count("}")


def test_footer_names_the_licences_of_licence_data_and_citation_cff():
    assert f"({cite_page.TEXT_LICENCE[0]})" in LICENCE_TEXT and cite_page.TEXT_LICENCE[1] in LICENCE_TEXT
    footer = cite_page.footer_html("../cite.html", CITATION["license"])
    assert f">{CITATION['license']}</a>" in footer and 'href="../cite.html"' in footer


# In the built book, in Chromium: what the tests below read of each page was taken in the single load of it that
# serves every browser test (test_browser.page_readings).


@pytest.fixture(scope="module")
def shown(site, page_readings):  # noqa: F811
    """Page name -> what Chromium shows of it (footer, links, headings, text), every page but redirect stubs. Links
    are given at this worker's address of the book (``site``), whichever worker's server the page was read from."""
    _, base = site
    found = {}
    for shard in range(SHARDS):
        read_at, readings = page_readings(shard)
        for name, reading in readings.items():
            seen = dict(reading["shown"])
            for key in ("citeLinks", "mainLinks"):
                seen[key] = [base + link[len(read_at) :] if link.startswith(read_at) else link for link in seen[key]]
            found[name] = seen
    return found


def test_every_page_footer_shows_the_licences_and_links_to_the_cite_page(site, browser, shown):  # noqa: F811
    _, base = site
    problems = []
    for name, seen in shown.items():
        text = " ".join(seen["footer"])
        if len(seen["footer"]) != 1 or "CC BY 4.0" not in text or f"Code: {CITATION['license']}" not in text:
            problems.append(f"{name}: footer says {seen['footer']!r}")
        # On the Cite page itself, Sphinx links the page to itself as "#".
        if [urllib.parse.urldefrag(link)[0] for link in seen["citeLinks"]] != [base + "cite.html"]:
            problems.append(f"{name}: Cite and reuse links {seen['citeLinks']}")
    assert not problems, "\n".join(problems)
    assert len(shown) >= len(list(NOTEBOOKS_DIR.glob("*.ipynb"))) + 3  # chapters, intro, sources, cite page
    # Following the link from a chapter lands on the page that cites the book.
    page = browser.new_page()
    page.goto(base + "notebooks/arms-flows.html", wait_until="load")
    page.click("footer a.cite-reuse-link")
    page.wait_for_load_state("load")
    assert page.url == base + "cite.html"
    assert page.inner_text("main h1").startswith("Cite and reuse")
    assert CITATION["version"] in page.inner_text("main")
    page.close()


def _straight(text: str) -> str:
    return text.translate(str.maketrans("‘’“”", "''\"\""))


def as_printed(latex: str) -> str:
    """A field's text as a reader sees it, quotes straightened. pybtex's LaTeX decoder takes a tenth of a second
    a field, so only fields with a LaTeX command go through it; the rest need only dashes, quotes and braces."""
    if "\\" in latex:
        return _straight(Text.from_latex(latex).render_as("text"))
    for latex_mark, character in (("---", "—"), ("--", "–"), ("``", '"'), ("''", '"'), ("{", ""), ("}", "")):
        latex = latex.replace(latex_mark, character)
    return _straight(latex)


def test_sources_page_keeps_titles_as_written_shows_the_addenda_and_no_internal_notes(shown):
    text = _straight(shown["references.html"]["article"])
    entries = read_bibliography()
    titles = {key: as_printed(e.fields["title"]) for key, e in entries.items()}
    assert "The Farda Briefing: Iran, Russia Deepen Ties" in titles["rferl-2022-farda-briefing"]
    missing = [key for key, title in titles.items() if title not in text]
    assert not missing, f"titles not shown as written: {missing[:5]}"
    notes = {key: as_printed(e.fields["note"]) for key, e in entries.items() if e.fields.get("note")}
    assert notes  # the bibliography does keep internal notes: none may reach the page
    # A note that is only a date ("July 2025") is shown as the entry's date, and reads like any other date.
    date_only = re.compile(r"([0-9]{1,2} )?[A-Z][a-z]+ [0-9]{4}\.?")
    addenda = {key: as_printed(e.fields["addendum"]) for key, e in entries.items() if e.fields.get("addendum")}
    leaked = [
        key
        for key, note in notes.items()
        if not date_only.fullmatch(note) and note[:50] in text and note[:50] not in addenda.get(key, "")
    ]
    assert not leaked, f"internal notes on the Sources page: {leaked[:5]}"
    # What readers need of the notes is shown: every addendum, as written.
    assert addenda
    missing = [key for key, addendum in addenda.items() if " ".join(addendum.split()) not in text]
    assert not missing, f"addenda not shown on the Sources page: {missing[:5]}"


def test_each_chapter_ends_with_the_commands_that_rerun_it(shown):
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for notebook in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        source = f"notebooks/{notebook.name}"
        seen = shown[f"notebooks/{notebook.stem}.html"]
        assert seen["h2"][-1] == "Rerun this chapter", source
        commands = seen["article"].split("Rerun this chapter", 1)[-1]
        for command in ("python3 tasks.py build", f"python3 tasks.py test {source}", "python3 tasks.py build --force"):
            assert re.search(rf"^{re.escape(command)}$", commands, re.M), f"{source}: no `{command}`"
        assert seen["article"].endswith("python3 tasks.py build --force"), source
        assert re.search(r"^git clone \S+ \S+$", commands, re.M), source
        # Every tasks.py command shown is one the README documents, with this notebook's path in it.
        for command in re.findall(r"^python3 tasks\.py .*$", commands, re.M):
            assert command.replace(source, "notebooks/<name>.ipynb") in readme, command


def test_cite_page_links_the_data_downloads_beside_it(site, shown):  # noqa: F811
    _, base = site
    links = shown["cite.html"]["mainLinks"]
    assert base + "data/iran-russia-data.zip" in links and base + "data/datapackage.json" in links
    assert base + "notebooks/data-dictionary.html" in links
