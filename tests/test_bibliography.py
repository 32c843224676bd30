"""The bibliography's rules, on small .bib files written here."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from iranrussia.bibliography import BibliographyError, read_bibliography

GOOD = {
    "author": "{Statistics Office}",
    "title": "Annual statistics",
    "howpublished": "Statistics Office",
    "year": "2023",
    "url": "https://example.org/stats",
    "urldate": "2026-11-01",
}


def bib_text(key: str = "office-2023-statistics", **fields: str | None) -> str:
    merged = {k: v for k, v in {**GOOD, **fields}.items() if v is not None}
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in merged.items())
    return f"@misc{{{key},\n{body},\n}}\n"


def read(tmp_path, text: str):
    path = tmp_path / "references.bib"
    path.write_text(text, encoding="utf-8")
    return read_bibliography(path)


def test_good_entry_is_read(tmp_path):
    entries = read(tmp_path, bib_text())
    entry = entries["office-2023-statistics"]
    assert entry.url == "https://example.org/stats"
    assert entry.accessed == dt.date(2026, 11, 1)
    assert entry.authors == ("Statistics Office",)


def test_addendum_of_plain_sentences_is_read(tmp_path):
    addendum = "In Russian; title translated. Cites the Federal Customs Service (FCS) of Russia, 2024-2025."
    entries = read(tmp_path, bib_text(addendum=addendum))
    assert entries["office-2023-statistics"].fields["addendum"] == addendum


def test_printed_work_with_full_reference_needs_no_url(tmp_path):
    text = bib_text(url=None, howpublished="Cambridge University Press, Cambridge, 2015, ISBN 9781107000001")
    assert "office-2023-statistics" in read(tmp_path, text)


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"urldate": None}, "required-field"),
        ({"title": None}, "required-field"),
        ({"author": None}, "required-field"),
        ({"urldate": "22 Nov 2026"}, "urldate-format"),
        ({"urldate": (dt.date.today() + dt.timedelta(days=2)).isoformat()}, "urldate-future"),
        ({"url": "www.example.org"}, "url-format"),
        ({"url": None}, "url-or-reference"),
        ({"url": "javascript:alert(1)"}, "url-format"),
        ({"url": "data:text/html,x"}, "url-format"),
        ({"url": 'https://example.org/a"onmouseover="alert(1)'}, "url-format"),
        ({"url": "https://example.org/a b"}, "url-format"),
        ({"url": "https://example.org/<script>"}, "url-format"),
        ({"title": "Report <script>alert(1)</script>"}, "markup"),
        ({"title": "Report &lt;b&gt;"}, "markup"),
        ({"title": "See [here](javascript:alert(1))"}, "markup"),
        ({"note": "{raw}`html <b>x</b>`"}, "markup"),
        ({"howpublished": "Agency \\href{javascript:alert(1)}{here}"}, "markup"),
        ({"title": "Annual\u200b statistics"}, "hidden-character"),
        ({"author": "{Statistics\u202e Office}"}, "hidden-character"),
        ({"url": "https://example.org/stats\u200b"}, "hidden-character"),
        ({"editor": "{<img src=x onerror=y>}"}, "markup"),
        ({"editor": "{Evil\u202e Editor}"}, "hidden-character"),
        ({"doi": '10.1/x"onmouseover=alert(1)'}, "identifier-format"),
        ({"addendum": "In Russian"}, "addendum-format"),
        ({"addendum": "in Russian."}, "addendum-format"),
        ({"addendum": " "}, "addendum-format"),
        ({"addendum": "Title translated from {Chinese}."}, "addendum-format"),
        ({"addendum": "Reports Smith & Jones."}, "addendum-format"),
        ({"addendum": "Read at 50% of its length."}, "addendum-format"),
        ({"addendum": "Read in a mirror of site_name.org."}, "addendum-format"),
        ({"addendum": "Cites *TASS*."}, "addendum-format"),
        ({"addendum": "In Russian. " * 21}, "addendum-format"),
    ],
)
def test_broken_entry_is_refused_with_its_rule(tmp_path, fields, rule):
    with pytest.raises(BibliographyError) as caught:
        read(tmp_path, bib_text(**fields))
    assert caught.value.rule == rule
    assert caught.value.key == "office-2023-statistics"


def test_key_must_be_lowercase_hyphenated(tmp_path):
    with pytest.raises(BibliographyError) as caught:
        read(tmp_path, bib_text(key="Office2023_Stats"))
    assert caught.value.rule == "key-format"


def test_unparseable_file_is_refused(tmp_path):
    with pytest.raises(BibliographyError) as caught:
        read(tmp_path, textwrap.dedent("@misc{a-b,\n  title = {unclosed\n"))
    assert caught.value.rule == "parse"


def test_latex_quotes_in_a_title_are_text_not_markup(tmp_path):
    # `` and '' are BibTeX's quotation marks; backticks alone are not markup.
    entries = read(tmp_path, bib_text(title="Russia, Iran to sign energy ``road map''"))
    assert "road map" in entries["office-2023-statistics"].fields["title"]


def test_every_refusal_names_the_field(tmp_path):
    with pytest.raises(BibliographyError, match="field 'title'.*HTML tag"):
        read(tmp_path, bib_text(title="Report <b>x</b>"))
