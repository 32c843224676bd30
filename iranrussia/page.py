"""Putting table text on a page: every string from data is escaped, only the book's own code makes markup.

The chapters build Markdown (rendered as MyST, so roles, directives and raw HTML are live) and HTML tables
from the book's tables. The loader already refuses markup in data cells; this module is the second,
independent layer, so that a cell which slipped past the loader still reaches the reader as text:

- :class:`Markup` marks a string the book's code wrote on purpose (a citation role, bold around a label).
  Everything else inserted into Markup, by ``+``, :meth:`Markup.format` or :func:`join`, is escaped first.
- :func:`escape` backslash-escapes every character MyST could read as markup and flattens line breaks.
- :func:`markdown_table`, :func:`html_table` and :func:`table_credit` are the chapters' table helpers; they
  escape each plain-string cell and keep Markup cells as they are. :func:`table_credit` and
  :func:`table_link` link table names to their sections of the data dictionary.

Usage in a notebook::

    from iranrussia.page import Markup, cite, markdown_table
    view["Source"] = frame["source"].map(cite)                          # Markup: a {cite:p} role
    view["Weapon"] = [Markup("**{}**: {}").format(d, text) for d, text in zip(...)]  # d and text escaped
    display(Markdown(markdown_table(view)))
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable

import pandas as pd

from .bibliography import KEY_PATTERN

# ASCII punctuation CommonMark lets a backslash escape, less the harmless ones kept readable ("-" in dates,
# "." and "," in figures, "'" and '"' in prose, "/", "(", ")", "%", ";", "=", "?", "@", "^").
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+!|~$&:])")
# Block syntax that only counts at the start of a line: a list item, a setext rule, a MyST target "(x)=",
# a MyST comment "% x", an ordered list "1." (escaped after its digits).
_BLOCK_START = re.compile(r"^(?P<indent> *)(?:(?P<mark>[-=(%])|(?P<number>\d+)(?=[.)]))")


class Markup(str):
    """Markdown written by the book's code. Plain strings combined with it are escaped, never trusted."""

    __slots__ = ()

    def __add__(self, other):
        if isinstance(other, str):
            return Markup(str.__add__(self, escape(other)))
        return NotImplemented

    def __radd__(self, other):
        if isinstance(other, str):
            return Markup(str.__add__(escape(other), self))
        return NotImplemented

    def __mod__(self, _values):
        raise TypeError("Markup does not take %-formatting, which would not escape: use Markup.format")

    def format_map(self, _mapping):  # noqa: D102 - refused for the same reason
        raise TypeError("Markup does not take format_map, which would not escape: use Markup.format")

    def join(self, parts: Iterable[object]) -> Markup:
        return Markup(str.join(self, (escape(p) for p in parts)))

    def format(self, *args, **kwargs) -> Markup:  # noqa: A003 - the str method it extends
        """Fill the template's fields; each value is formatted by its spec ({:,}, {:%B %Y}) and then escaped."""
        return Markup(_FORMATTER.vformat(self, args, kwargs))


class _EscapingFormatter(string.Formatter):
    def format_field(self, value, format_spec):
        if isinstance(value, Markup) or _missing(value):
            return escape(value)  # a missing value is empty, never "nan" or "<NA>"
        return escape(format(value, format_spec))


_FORMATTER = _EscapingFormatter()


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and pd.isna(value))


def escape(value: object) -> Markup:
    """``value`` as text MyST shows literally: markup characters backslash-escaped, white space runs made one space.

    Markup passes through unchanged; a missing value (None, NA, NaN) becomes the empty string.
    """
    if isinstance(value, Markup):
        return value
    if _missing(value):
        return Markup("")
    # Runs of white space (line breaks included) become one space; a space at either end is kept, so that
    # Markup("x") + " " + cite(...) keeps its space.
    flat = re.sub(r"\s+", " ", str(value))
    return Markup(_block_start_escaped(_SPECIAL.sub(r"\\\1", flat)))


def _block_start_escaped(text: str) -> str:
    # "- x", "= x" and "1. x" at the start of a paragraph would become a list or a heading rule.
    return _BLOCK_START.sub(
        lambda m: m["indent"] + ("\\" + m["mark"] if m["mark"] else m["number"] + "\\"), text, count=1
    )


def join(separator: str, parts: Iterable[object]) -> Markup:
    """``separator.join(parts)`` with the separator and each plain part escaped."""
    return escape(separator).join(parts)


def strong(value: object) -> Markup:
    text = escape(value)
    return Markup(f"**{text}**") if text else text


def emphasis(value: object) -> Markup:
    text = escape(value)
    return Markup(f"*{text}*") if text else text


def link(text: object, url: str) -> Markup:
    """A Markdown link to an http(s) address; ``ValueError`` for any other scheme (javascript:, data:, ...).

    Characters that could end the link target early or break out of it are percent-encoded.
    """
    url = str(url).strip()
    if not re.match(r"https?://[^\s/]", url, re.ASCII):
        raise ValueError(f"{url!r} is not an http(s) address")
    safe = re.sub(
        r"[\s()<>\\`\"'{}|^]|[^\x00-\x7f]",
        lambda m: "".join(f"%{byte:02X}" for byte in m.group(0).encode("utf-8")),
        url,
    )
    return Markup(f"[{escape(text)}]({safe})")


_INLINE = re.compile(r"\[(?P<text>[^\[\]]+)\]\((?P<url>https?://[^\s()<>]+)\)|\*(?P<emphasis>[^*\s][^*]*)\*")


def inline_text(value: object) -> Markup:
    """A cell of a column with ``markup: inline``: links to http(s) addresses and *emphasis* kept, all else escaped."""
    if _missing(value):
        return Markup("")
    text, out, last = " ".join(str(value).split()), [], 0
    for match in _INLINE.finditer(text):
        out.append(_SPECIAL.sub(r"\\\1", text[last : match.start()]))
        out.append(link(match["text"], match["url"]) if match["url"] else emphasis(match["emphasis"]))
        last = match.end()
    out.append(_SPECIAL.sub(r"\\\1", text[last:]))
    return Markup(_block_start_escaped("".join(out)))


def code(value: object) -> Markup:
    """``value`` as an inline code span: shown verbatim, whatever it holds (fence longer than any run inside)."""
    text = " ".join(str(value).split())
    if not text:
        return Markup("")  # "``" alone is no code span: it would pair with a later backtick run
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return Markup(f"{fence}{pad}{text}{pad}{fence}")


def source_keys(keys: str | Iterable[str]) -> list[str]:
    """Bibliography keys from a source cell ('a;b') or an iterable; ``ValueError`` for a malformed key.

    A key goes into a role verbatim, so it must have the bibliography's key form (lowercase words joined by
    hyphens): anything else could close the role and inject markup. The loader checks that keys exist.
    """
    parts = keys.split(";") if isinstance(keys, str) else list(keys)
    out = []
    for key in (str(k).strip() for k in parts):
        if not KEY_PATTERN.fullmatch(key):
            raise ValueError(f"{key!r} is not a bibliography key (lowercase words joined by hyphens)")
        out.append(key)
    if not out:
        raise ValueError("no bibliography key given")
    return out


def cite(keys: str | Iterable[str]) -> Markup:
    """A parenthetical citation of the given keys (a source cell such as 'a;b', or an iterable of keys)."""
    if _missing(keys):
        return Markup("")
    return Markup("{cite:p}`" + ",".join(dict.fromkeys(source_keys(keys))) + "`")


def table_cell(value: object) -> Markup:
    """A pipe-table cell: plain text escaped; Markup kept, its pipes escaped (a pipe ends a cell even in code)."""
    if isinstance(value, Markup):
        return Markup(" ".join(value.replace("|", "\\|").split()))
    return escape(value)


def markdown_table(frame: pd.DataFrame) -> Markup:
    """A pipe table of ``frame``: column names and plain cells escaped, Markup cells kept (pipes escaped)."""
    lines = ["| " + " | ".join(table_cell(c) for c in frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(table_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return Markup("\n".join(lines))


def credit_text(tables: Iterable[str], note: str = "", data_dir=None) -> str:
    """'Source: ' and the tables' credit lines (from their manifests), plus an optional note: plain text.

    The one credit line of the book: the table credits here and the charts' source line (``charts.source_line``).
    """
    from .data import read_manifest  # here, so that the page helpers import without the data layer
    from .paths import DATA_DIR

    credits = list(dict.fromkeys(read_manifest(name, data_dir or DATA_DIR).credit for name in tables))
    if not credits:
        raise ValueError("a table credit names at least one data table")
    text = "Source: " + " ".join(c if c.endswith(".") else c + "." for c in credits)
    return f"{text} {note.strip()}".strip()


_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]*")


def table_name(name: object) -> str:
    """``name`` if it has a table's name form (lowercase letters, digits, underscores); ``ValueError`` if not.

    A table name goes into a link target and a MyST target verbatim, so it must be unable to carry markup.
    """
    if not isinstance(name, str) or not _TABLE_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a table name (lowercase letters, digits and underscores)")
    return name


def table_link(name: str) -> Markup:
    """The table's name as code, linking to its section of the data dictionary (the label ``table-<name>``).

    A MyST link to ``#table-<name>``: on the dictionary page it resolves to the section's target, from any
    other page to the same label (as a cross-reference), so the strict build fails if the section is missing.
    """
    name = table_name(name)
    return Markup(f"[{code(name)}](#table-{name})")


def credit_markdown(tables: Iterable[str], note: str = "", data_dir=None) -> Markup:
    """The credit line of :func:`credit_text` in italics (escaped), then the tables' names, each linking to its
    entry in the data dictionary: ``*Source: …. Data table: [`events`](#table-events).*``."""
    tables = list(dict.fromkeys(tables))
    links = Markup(", ").join(table_link(name) for name in tables)
    label = "Data table" if len(tables) == 1 else "Data tables"
    return Markup("*{} {}: {}.*").format(credit_text(tables, note, data_dir), label, links)


def table_credit(tables: Iterable[str], note: str = ""):
    """The credit line under a displayed table (:func:`credit_markdown`), for display."""
    from IPython.display import Markdown

    return Markdown(credit_markdown(tables, note))


def html_table(frame: pd.DataFrame, uuid: str):
    """``frame`` as a styled HTML table without its index, every cell and header HTML-escaped.

    pandas' Styler does not escape by default, so data text would otherwise be written into the page as HTML.
    ``uuid`` gives the table a stable id, and only the HTML is kept (a Styler's plain-text form names its memory
    address), so re-running an unchanged notebook leaves its output byte for byte unchanged.
    """
    from IPython.display import HTML

    styler = (
        frame.style.format(escape="html", na_rep="")
        .format_index(escape="html", axis=0)
        .format_index(escape="html", axis=1)
        .hide(axis="index")
        .set_uuid(uuid)
    )
    return HTML(styler._repr_html_())
