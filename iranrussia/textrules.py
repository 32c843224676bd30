"""Rules for contributed text: table cells, manifest strings and bibliography fields.

Each function returns ``None`` when the text passes, or a message that says what is wrong, where in the text
and what to write instead. The loader and the bibliography reader turn a message into an error naming the
file, line, column and rule; nothing here changes the text.

- :func:`markup_problem`: HTML tags and character references, ``javascript:``/``data:`` link targets, MyST
  roles, directives and substitutions, and Markdown link/image syntax. A page renders table text as MyST, so
  any of these would become live markup in a reader's browser. A column may opt in (manifest
  ``markup: inline``) to links to http(s) addresses and emphasis (``*text*``); the rest stays refused.
- :func:`hidden_character_problem`: control characters (C0/C1, including line breaks and tabs), invisible
  format characters (zero-width characters, bidirectional controls, soft hyphen, byte-order mark), line and
  paragraph separators, private-use and unassigned code points, and fillers that render as nothing; in key
  cells also any space other than U+0020 (a no-break space in a key makes a different key that looks the same).
- :func:`non_ascii_digit_problem`: a digit other than 0-9 (Arabic-Indic ``٢٠٢٤``, full-width ``２``), which
  Python's ``int()`` and ``float()`` would silently read as a number.
"""

from __future__ import annotations

import re
import unicodedata

MARKUP_OPTIONS = ("inline",)
#: A plain http(s) address: what a bibliography url, a licence url or an inline link may be. Nothing in it can
#: end the link early or break out of it (no spaces, quotes, angle brackets, backslashes or braces).
PLAIN_URL = re.compile(r"https?://[^\s<>\"`\\{}|^]+", re.ASCII)

# Each alternative names one kind of markup; the first that matches is reported.
_MARKUP = re.compile(
    r"(?P<html_tag><[A-Za-z!?/])"
    r"|(?P<character_reference>&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);)"
    r"|(?P<script_url>(?i:\b(?:java|vb)script\s*:))"
    r"|(?P<data_url>(?i:\bdata:)(?=\S))"
    r"|(?P<myst_role>\{[\w.:+-]+\}\s*`)"
    r"|(?P<fence>```|~~~|:::)"
    r"|(?P<substitution>\{\{)"
    r"|(?P<image>!\[)"
    r"|(?P<link>\[[^\[\]]*\][(\[]|^\s*\[[^\[\]]+\]:)",
)
_ADVICE = {
    "html_tag": ("an HTML tag", "describe it in words, or write '< ' with a space if a comparison is meant"),
    "character_reference": ("an HTML character reference", "write the character itself"),
    "script_url": ("a script link target", "remove it"),
    "data_url": ("a data: link target", "cite the source in the source column instead"),
    "myst_role": ("a MyST role", "put the citation in the source column; tables hold text only"),
    "fence": ("a code or directive fence", "remove it; tables hold text only"),
    "substitution": ("a MyST substitution ('{{')", "remove it; tables hold text only"),
    "image": ("Markdown image syntax", "remove it; tables hold text only"),
    "link": ("Markdown link syntax", "cite the source in the source column (or rephrase the brackets)"),
}
# Every alternative above needs one of these characters: most cells hold none, and skip the search.
_MARKUP_CHARACTERS = frozenset("<&:`~{![")
# With ``markup: inline``: links to http(s) addresses are allowed, nothing else of the list above.
_INLINE_LINK = re.compile(r"(?<!!)\[(?P<text>[^\[\]]+)\]\((?P<url>[^\s()]+)\)")

_HIDDEN_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible format character",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
    "Co": "a private-use character",
    "Cs": "a surrogate",
    "Cn": "an unassigned code point",
}
# Letters that render as blank space (Hangul fillers, braille blank) and variation selectors.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800") | frozenset(map(chr, range(0xFE00, 0xFE10)))
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def markup_problem(text: str, option: str | None = None) -> str | None:
    """Why ``text`` would be read as markup on a page, or None. ``option`` is the column's ``markup`` opt-in."""
    if option == "inline":
        for link in _INLINE_LINK.finditer(text):
            if not PLAIN_URL.fullmatch(link["url"]):
                return (
                    f"a link to {link['url']!r} (at character {link.start() + 1}), which is not a plain http(s) "
                    "address: link to a web page, percent-encoding any quotes or braces"
                )
            inner = markup_problem(link["text"])
            if inner:
                return f"in the text of the link at character {link.start() + 1}, {inner}"
        # Blank the allowed links out, keeping the length, so positions still count in the cell's own text.
        text = _INLINE_LINK.sub(lambda m: " " * len(m.group(0)), text)
    if _MARKUP_CHARACTERS.isdisjoint(text):
        return None
    match = _MARKUP.search(text)
    if match is None:
        return None
    kind = match.lastgroup
    what, fix = _ADVICE[kind]
    return f"{what} ({match.group(0)!r} at character {match.start() + 1}): {fix}"


def hidden_character_problem(text: str, *, key: bool = False) -> str | None:
    """Why ``text`` holds a character a reader cannot see (or a non-ASCII space in a key), or None."""
    if text.isascii():
        match = _ASCII_CONTROL.search(text)
        if match is None:
            return None
        return (
            f"{_describe(match.group(0))}, a control character, at character {match.start() + 1}: "
            "delete it (a cell holds one line of text)"
        )
    found = []
    for char in set(text):  # each distinct character once: long prose repeats its few non-ASCII letters
        if char.isascii() and not _ASCII_CONTROL.match(char):
            continue
        category = unicodedata.category(char)
        what = _HIDDEN_CATEGORIES.get(category)
        if what is None and char in _BLANK_LOOKING:
            what = "a character that renders as nothing"
        if what is None and key and category == "Zs":
            what = "a space other than U+0020 in a key"
        if what is not None:
            found.append((text.index(char), char, what))
    if not found:
        return None
    index, char, what = min(found)
    return f"{_describe(char)}, {what}, at character {index + 1}: delete it or write the plain character"


def non_ascii_digit_problem(text: str) -> str | None:
    """Why ``text`` (a number, date or boolean cell) uses a digit other than 0-9, or None."""
    if text.isascii():
        return None
    for char in text:
        if not char.isascii() and (char.isdigit() or unicodedata.category(char) == "Nd"):
            return f"{text!r} uses the non-ASCII digit {_describe(char)}: write the digits 0-9"
    return None
