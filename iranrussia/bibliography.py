"""The book's one bibliography, ``references.bib``: parsing and the rules every entry follows.

Rules: each entry has a title, a year, an access date (``urldate``, YYYY-MM-DD) and either a ``url`` or a
full printed reference (``howpublished`` naming publisher and place, for works with no web address). A url is
a plain http(s) address; every other field is text: no hidden characters, no HTML or Markdown markup and no
LaTeX link commands (the same rules as a table cell, :mod:`iranrussia.textrules`).

``note`` holds the authors' internal research notes and is never shown. ``addendum`` is what readers are shown
of them, at the end of the entry: one to three short sentences of plain text (at most 240 characters, each
sentence ending with a full stop), with none of the characters LaTeX or Markdown give a meaning to, so that it
prints exactly as written.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pybtex.database import parse_file
from pybtex.scanner import PybtexError

from .paths import BIBLIOGRAPHY
from .textrules import PLAIN_URL, hidden_character_problem, markup_problem

REQUIRED_FIELDS = ("title", "year", "urldate", "howpublished")
KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", re.ASCII)
_LATEX_LINK = re.compile(r"\\(?:href|url)\b")
# Fields the Sources page turns into links (doi.org/..., arxiv.org/...): one token, nothing to break out with.
_IDENTIFIER_FIELDS = ("doi", "eprint", "isbn", "issn")
_IDENTIFIER = re.compile(r"[A-Za-z0-9._;:/()\[\]+-]+", re.ASCII)
ADDENDUM_MAX_LENGTH = 240
_ADDENDUM_SPECIAL = re.compile(r"[{}\\$%#&_^~`*<>\[\]|]")


class BibliographyError(ValueError):
    """An entry of references.bib breaks one of the bibliography's rules."""

    def __init__(self, path: Path, key: str | None, rule: str, message: str):
        self.path, self.key, self.rule = Path(path), key, rule
        where = f"{path}" + (f", entry '{key}'" if key else "")
        super().__init__(f"{where}: [{rule}] {message}")


@dataclass(frozen=True)
class Entry:
    key: str
    entry_type: str
    fields: dict[str, str]
    authors: tuple[str, ...]
    persons: tuple[tuple[str, str], ...] = ()  # (role, name) for every person field: author, editor, ...

    @property
    def url(self) -> str | None:
        return self.fields.get("url")

    @property
    def accessed(self) -> dt.date:
        return dt.date.fromisoformat(self.fields["urldate"])


def read_bibliography(path: Path = BIBLIOGRAPHY) -> dict[str, Entry]:
    """Parse and check ``path``; return its entries by key. Raises BibliographyError on any broken rule."""
    path = Path(path)
    return dict(_read_cached(path, path.stat().st_mtime_ns))


@lru_cache(maxsize=8)
def _read_cached(path: Path, _mtime_ns: int) -> tuple[tuple[str, Entry], ...]:
    try:
        database = parse_file(str(path), bib_format="bibtex")
    except (PybtexError, UnicodeDecodeError) as err:
        raise BibliographyError(path, None, "parse", str(err)) from err
    entries = []
    for key, raw in database.entries.items():
        fields = {name.lower(): str(value) for name, value in raw.fields.items()}
        authors = tuple(str(person).replace("{", "").replace("}", "") for person in raw.persons.get("author", []))
        persons = tuple((role.lower(), str(person)) for role, people in raw.persons.items() for person in people)
        entry = Entry(key=key, entry_type=raw.type.lower(), fields=fields, authors=authors, persons=persons)
        _check_entry(path, entry)
        entries.append((key, entry))
    return tuple(entries)


def _check_entry(path: Path, entry: Entry) -> None:
    if not KEY_PATTERN.match(entry.key):
        raise BibliographyError(path, entry.key, "key-format", "keys are lowercase words joined by hyphens")
    if not entry.authors:
        raise BibliographyError(path, entry.key, "required-field", "no author (use {{Institution}} for a body)")
    for name in REQUIRED_FIELDS:
        if not entry.fields.get(name, "").strip():
            raise BibliographyError(path, entry.key, "required-field", f"field '{name}' is missing or empty")
    for name, value in [*entry.fields.items(), *entry.persons]:
        text = value.replace("\n", " ")  # a field may wrap over lines in the .bib file
        problem = hidden_character_problem(text)
        if problem:
            raise BibliographyError(path, entry.key, "hidden-character", f"field '{name}': {problem}")
        if name == "url":
            continue
        if name in _IDENTIFIER_FIELDS and not _IDENTIFIER.fullmatch(text.strip()):
            raise BibliographyError(
                path,
                entry.key,
                "identifier-format",
                f"field '{name}' {text!r} is not a plain identifier (it becomes part of a link)",
            )
        problem = markup_problem(text) or (
            _LATEX_LINK.search(text) and "a LaTeX link command: put the address in the url field"
        )
        if problem:
            raise BibliographyError(path, entry.key, "markup", f"field '{name}' is text, but holds {problem}")
    _check_addendum(path, entry)
    url = entry.fields.get("url", "")
    if url and not PLAIN_URL.fullmatch(url):
        raise BibliographyError(
            path,
            entry.key,
            "url-format",
            f"url {url!r} is not a plain http(s) address (no spaces, quotes, brackets or "
            "backslashes; percent-encode them)",
        )
    if not url and len(entry.fields["howpublished"]) < 20:
        raise BibliographyError(
            path, entry.key, "url-or-reference", "no url, and howpublished is too short to be a full reference"
        )
    try:
        accessed = dt.date.fromisoformat(entry.fields["urldate"])
    except ValueError:
        raise BibliographyError(path, entry.key, "urldate-format", "urldate must be YYYY-MM-DD") from None
    if accessed > dt.date.today():
        raise BibliographyError(path, entry.key, "urldate-future", f"access date {accessed} is in the future")


def _check_addendum(path: Path, entry: Entry) -> None:
    addendum = entry.fields.get("addendum")
    if addendum is None:
        return
    text = " ".join(addendum.split())
    special = _ADDENDUM_SPECIAL.search(text)
    problem = (
        (not text and "is empty (leave the field out)")
        or (len(text) > ADDENDUM_MAX_LENGTH and f"has {len(text)} characters, more than {ADDENDUM_MAX_LENGTH}")
        or (special and f"holds {special.group()!r}, which LaTeX or Markdown would not print as written")
        or (not text.endswith(".") and "does not end with a full stop")
        or (not text[0].isupper() and "does not begin with a capital letter")
    )
    if problem:
        raise BibliographyError(path, entry.key, "addendum-format", f"addendum {problem}")
