"""The second layer against markup from data: whatever a cell holds, the page helpers make it text.

Each helper's output is parsed by the same MyST parser configuration the book uses (myst-parser with the
book's extensions); the tokens must contain no HTML, role, link, image, fence, directive or substitution made
from the data, and the hostile text must still be there, as text, for the reader to see.
"""

from __future__ import annotations

import pandas as pd
import pytest
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

from iranrussia import page
from iranrussia.claims import chapter_section, framing_markdown
from iranrussia.data import Column, read_manifest
from iranrussia.datadict import table_markdown
from iranrussia.page import Markup

MYST = create_md_parser(MdParserConfig(enable_extensions={"colon_fence", "deflist", "substitution"}), RendererHTML)

# Markup a contributed cell might carry, one kind each (several would be refused by the loader first).
HOSTILE = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    "&lt;script&gt;window.__pwned=1&lt;/script&gt;",
    "[click](javascript:window.__pwned=1)",
    "[page](https://example.org/page)",
    "![x](https://example.org/x.png)",
    "{raw}`html <b onmouseover=alert(1)>x</b>`",
    "```{raw} html\n<script>window.__pwned=1</script>\n```",
    ":::{warning}\nboo\n:::",
    "{{ substitution }}",
    "<https://example.org/autolink>",
    "- list item",
    "# heading",
    "> quote",
    "| a | b |",
    "*emphasis* **strong** _underscore_ ~~strike~~ `code`",
    "(target)=",
    "[ref]: https://example.org",
    "1. ordered",
    "term\n: definition",
    "back\\slash \\<b\\>",
]
# Token types that escaped text may produce, plus the book's own structure around it.
TEXT_TOKENS = {
    "text",
    "inline",
    "paragraph_open",
    "paragraph_close",
    "softbreak",
    "table_open",
    "table_close",
    "thead_open",
    "thead_close",
    "tbody_open",
    "tbody_close",
    "tr_open",
    "tr_close",
    "th_open",
    "th_close",
    "td_open",
    "td_close",
    "bullet_list_open",
    "bullet_list_close",
    "list_item_open",
    "list_item_close",
    "heading_open",
    "heading_close",
    "hr",
}


def tokens(markdown: str):
    for token in MYST.parse(markdown):
        yield token
        yield from token.children or []
        if token.type == "colon_fence" and token.info == "{container} dictionary-columns":
            yield from tokens(token.content)  # a directive's content is parsed later, by docutils: parse it here


def made_from_data(markdown: str, allowed: set[str] = frozenset()) -> list[str]:
    """Tokens in the rendered Markdown that are markup rather than text (the book's own kinds in ``allowed``)."""
    return [f"{t.type}: {t.content!r}" for t in tokens(markdown) if t.type not in TEXT_TOKENS | set(allowed)]


def shown_text(markdown: str) -> str:
    return " ".join(t.content for t in tokens(markdown) if t.type == "text")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_escaped_text_renders_as_that_text_and_nothing_else(hostile):
    markdown = page.escape(hostile)
    assert made_from_data(markdown) == []
    assert shown_text(markdown) == " ".join(hostile.split())  # every character still shown, line breaks flattened


@pytest.mark.parametrize("hostile", HOSTILE)
def test_markup_built_by_the_book_escapes_what_it_is_given(hostile):
    built = [
        Markup("**{}**: {}").format(hostile, hostile),
        Markup("- ") + hostile,
        hostile + Markup(" *x*"),
        Markup("; ").join([hostile, Markup("*kept*")]),
        page.join(" / ", [hostile, hostile]),
        page.strong(hostile),
        page.emphasis(hostile),
        page.code(hostile),
    ]
    for markdown in built:
        assert made_from_data(markdown, {"strong_open", "strong_close", "em_open", "em_close", "code_inline"}) == [], (
            markdown
        )
        assert "__pwned" not in "".join(t.content for t in tokens(markdown) if t.type.startswith("html"))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_markdown_table_escapes_cells_and_headers_but_keeps_citations(hostile):
    frame = pd.DataFrame({hostile: [hostile, None], "Source": [page.cite("agency-2024-report;b-2020"), hostile]})
    markdown = page.markdown_table(frame)
    found = made_from_data(markdown, {"myst_role"})
    assert found == []
    roles = [t for t in tokens(markdown) if t.type == "myst_role"]
    assert [(r.meta["name"], r.content) for r in roles] == [("cite:p", "agency-2024-report,b-2020")]
    assert len([t for t in tokens(markdown) if t.type == "tr_open"]) == 3  # header and two rows: no cell broke out


@pytest.mark.parametrize("hostile", HOSTILE)
def test_an_inline_markup_column_keeps_only_http_links_and_emphasis(hostile):
    markdown = page.inline_text(hostile)
    found = made_from_data(markdown, {"link_open", "link_close", "em_open", "em_close"})
    assert found == []
    hrefs = [t.attrs.get("href") for t in tokens(markdown) if t.type == "link_open"]
    assert all(h.startswith("https://") for h in hrefs), hrefs


def test_inline_markup_keeps_a_real_link_and_emphasis():
    markdown = page.inline_text("See *Kayhan* and [the report](https://example.org/a_b).")
    kinds = [t.type for t in tokens(markdown)]
    assert "em_open" in kinds and "link_open" in kinds
    assert [t.attrs["href"] for t in tokens(markdown) if t.type == "link_open"] == ["https://example.org/a_b"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>", "ftp://example.org", "//x.org"])
def test_a_link_refuses_any_address_but_http(url):
    with pytest.raises(ValueError, match="http"):
        page.link("text", url)


def test_a_link_cannot_be_broken_out_of():
    markdown = page.link("x", 'https://example.org/a) <img src=x onerror="y">')
    hrefs = [t.attrs["href"] for t in tokens(markdown) if t.type == "link_open"]
    assert len(hrefs) == 1 and " " not in hrefs[0] and "<" not in hrefs[0] and ")" not in hrefs[0]
    assert made_from_data(markdown, {"link_open", "link_close"}) == []


@pytest.mark.parametrize("keys", ["a`b", "key}`{raw}`html", "Upper-Case", "", "a;;b", "a b"])
def test_a_citation_refuses_anything_but_bibliography_keys(keys):
    with pytest.raises(ValueError):
        page.cite(keys)


def test_a_code_span_shows_backticks_verbatim():
    for text in ("a`b", "``x``", "`start", "end`"):
        found = [t for t in tokens(page.code(text)) if t.type == "code_inline"]
        assert [t.content for t in found] == [text]


def test_html_table_escapes_cells_and_headers():
    frame = pd.DataFrame({"<b>head</b>": ['<img src=x onerror="y">'], "n": [1]})
    html = page.html_table(frame, "test-table").data
    assert "<img" not in html and "<b>head" not in html
    assert "&lt;img src=x onerror=&#34;y&#34;&gt;" in html or "&lt;img src=x onerror=&quot;y&quot;&gt;" in html


def test_the_data_dictionary_escapes_manifest_text():
    manifest = read_manifest("events")
    hostile = " ".join(HOSTILE)
    columns = (
        Column(name="note", type="string", description=hostile, unit=hostile, enum=("a`b", hostile), pattern="^`x`$"),
        Column(
            name="kind",
            type="string",
            description="A labelled enum.",
            enum=("x", "y"),
            labels={"x": hostile, "y": "Plain label"},
        ),
    )
    forged = manifest.__class__(
        **{
            **manifest.__dict__,
            "title": hostile,
            "description": hostile,
            "credit": hostile,
            "producer": hostile,
            "third_party_terms": hostile,
            "columns": columns,
            "licence": {"name": hostile, "url": "https://example.org/licence"},
        }
    )
    markdown = table_markdown(forged, rows=3, coverage=(hostile, hostile))
    allowed = {"strong_open", "strong_close", "code_inline", "link_open", "link_close"}
    allowed |= {"myst_target", "html_inline", "colon_fence"}
    assert made_from_data(markdown, allowed) == []
    assert [t.attrs["href"] for t in tokens(markdown) if t.type == "link_open"] == ["https://example.org/licence"]
    # The book's own markup, and only that: the section's target, the download link, the columns' container.
    assert [t.content for t in tokens(markdown) if t.type == "myst_target"] == ["table-events"]
    assert [t.content for t in tokens(markdown) if t.type == "html_inline"] == [
        '<a class="dictionary-download" href="../data/events.csv" download>',
        "</a>",
    ]
    assert [t.info for t in tokens(markdown) if t.type == "colon_fence"] == ["{container} dictionary-columns"]
    # Every hostile field is shown, as text (HOSTILE has the script twice): title, description, coverage (2),
    # licence, credit, producer, third-party terms, the column's meaning and unit, the label of "x".
    assert shown_text(markdown).count("<script>window.__pwned=1</script>") == 2 * 11
    assert "`y` (Plain label)" in markdown  # a labelled enum shows "value (label)"


def test_claims_sections_escape_every_cell():
    hostile = " ".join(HOSTILE)
    claims = pd.DataFrame(
        [
            {
                "claim_id": "RFERL22-01",
                "made_by": "rferl-2022-farda-briefing",
                "made_on": pd.Timestamp("2022-07-19"),
                "made_on_precision": "day",
                "claim": hostile,
                "claim_kind": hostile,
                "chapter": "trade-trajectory",
                "verdict_when_made": hostile + " then",
                "verdict": hostile,
                "verdict_as_of": pd.Timestamp("2026-11-30"),
                "reasoning": hostile,
                "evidence": pd.NA,
                "sources": pd.NA,
                "settle_by": hostile,
            }
        ]
    )
    framing = pd.DataFrame(
        [
            {
                "dimension_id": "F01",
                "dimension": hostile,
                "finding": hostile,
                "evidence": pd.NA,
                "reading": hostile,
                "would_change": hostile,
            }
        ]
    )
    book_markup = {"myst_role", "strong_open", "strong_close"}
    for markdown in (chapter_section("trade-trajectory", claims), framing_markdown(framing)):
        assert made_from_data(markdown, book_markup) == []
        roles = {t.meta["name"] for t in tokens(markdown) if t.type == "myst_role"}
        assert roles <= {"cite:p", "ref"}
        assert "__pwned" not in " ".join(t.content for t in tokens(markdown) if t.type == "myst_role")


def test_a_missing_value_is_empty_in_built_markup():
    assert Markup("{} and {:,}").format(pd.NA, float("nan")) == " and "


def test_pandas_keeps_markup_cells_as_markup():
    # markdown_table tells the book's markup from data text by type; if a pandas upgrade (or pyarrow string
    # storage) turned Markup cells into plain str, every citation would show as escaped source. Fail here first.
    frame = pd.DataFrame({"Source": pd.Series(["agency-2024-report"]).map(page.cite), "x": [page.strong("a")]})
    assert all(isinstance(v, Markup) for v in frame["Source"]) and isinstance(frame.loc[0, "x"], Markup)


def test_a_claim_id_that_is_not_one_is_refused_not_rendered():
    claims = pd.DataFrame(
        [
            {
                "claim_id": "AB12-34<img src=x onerror=y>",
                "made_by": "rferl-2022-farda-briefing",
                "made_on": pd.Timestamp("2022-07-19"),
                "made_on_precision": "day",
                "claim": "c",
                "claim_kind": "k",
                "chapter": "trade-trajectory",
                "verdict_when_made": "supported",
                "verdict": "supported",
                "verdict_as_of": pd.Timestamp("2026-11-30"),
                "reasoning": "r",
                "evidence": pd.NA,
                "sources": pd.NA,
                "settle_by": pd.NA,
            }
        ]
    )
    with pytest.raises(ValueError, match="is not a claim id"):
        chapter_section("trade-trajectory", claims)


def test_an_empty_code_span_is_nothing_not_an_open_fence():
    assert page.code("") == "" and page.code("   ") == ""
    markdown = Markup("one of ") + Markup(", ").join([page.code(""), page.code("`x` *live*")])
    assert made_from_data(markdown, {"code_inline"}) == []


def test_percent_formatting_is_refused_because_it_would_not_escape():
    with pytest.raises(TypeError, match="Markup.format"):
        Markup("**%s**") % "<b>"
    with pytest.raises(TypeError, match="Markup.format"):
        Markup("**{x}**").format_map({"x": "<b>"})


def test_html_table_shows_a_missing_value_as_empty():
    html = page.html_table(pd.DataFrame({"a": [pd.NA, "x"]}, dtype="string"), "t").data
    assert "&lt;NA&gt;" not in html and "<NA>" not in html


def test_a_link_percent_encodes_non_ascii_as_utf8():
    assert "%C2%A0" in page.link("x", "https://example.org/a\u00a0b")


def test_a_plain_dataframe_display_is_escaped_by_pandas():
    # Chapters also display() frames directly; pandas' own HTML repr must keep escaping cells and headers.
    html = pd.DataFrame({"<b>head</b>": ['<img src=x onerror="y">']}, index=["<i>row</i>"])._repr_html_()
    assert "<img" not in html and "<b>head" not in html and "<i>row" not in html


def test_html_table_output_is_the_same_on_every_run():
    """Only HTML is kept: a Styler's plain-text form names its memory address, which changes every run."""
    frame = pd.DataFrame({"a": ["x"]})
    first, second = page.html_table(frame, "t"), page.html_table(frame, "t")
    assert first._repr_html_() == second._repr_html_() and "0x" not in repr(first)
