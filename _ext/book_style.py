"""The bibliography style of the Sources page and of the citations' hover tooltips: ``unsrt``, with these changes.

- Titles are shown exactly as written in ``references.bib``. ``unsrt`` sentence-cases them, which lowercases
  every proper noun not wrapped in braces ("Iran, Russia Deepen Ties" became "Iran, russia deepen ties").
- Fields that hold the authors' internal research notes are never printed. In this bibliography ``note``
  holds them (how a date was confirmed, which mirror was read, "seed article 003"), and ``unsrt`` prints
  ``note`` in every entry type; ``annote``, ``annotation``, ``comment`` and ``keywords`` are the other
  fields BibTeX tools use for such notes (``unsrt`` prints none of them; they are hidden here all the same,
  so that no later template can show them). A note that is only a publication date is shown as the date.
- The day of publication (``day``, which unsrt never prints) is shown before the month: "19 July 2022".
- What readers need from those notes is in ``addendum`` (biblatex's field for it, which unsrt never prints):
  the language, where a title or date came from when it is not the source's own, whom a secondary report
  cites, where the text was read. It ends the entry, after the address: "... (visited on 2026-11-22). In
  Russian." Its form is checked with the bibliography's other rules (:mod:`iranrussia.bibliography`).

Registered as the pybtex formatting style ``bookstyle`` (``bibtex_default_style`` in ``_config.yml``).
"""

from __future__ import annotations

import re

from pybtex.database import Entry
from pybtex.plugin import register_plugin
from pybtex.style.formatting import toplevel
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.formatting.unsrt import date
from pybtex.style.template import field, node, optional, sentence

STYLE_NAME = "bookstyle"
INTERNAL_FIELDS = frozenset({"note", "annote", "annotation", "comment", "keywords"})


class _ReaderEntry(Entry):
    """An entry as readers see it: the internal fields read as missing, also when a crossref would inherit them."""

    def _find_field(self, name, bib_data=None):
        if name.lower() in INTERNAL_FIELDS:
            raise KeyError(name)
        return super()._find_field(name, bib_data)


# A note that is nothing but the publication date ("15 May 2023", "July 2025.") is the date, not a research note.
_DATE_ONLY_NOTE = re.compile(
    r"(?:(?P<day>[0-9]{1,2}) )?"
    r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December)"
    r" (?P<year>[0-9]{4})\.?",
    re.ASCII,
)


def reader_entry(entry: Entry) -> Entry:
    """The entry less its internal fields, with its date as precise as the bibliography gives it: unsrt prints
    month and year only, so the day (the ``day`` field, or a note that is only a date) goes before the month."""
    shown = _ReaderEntry(
        entry.type,
        fields=[(name, value) for name, value in entry.fields.items() if name.lower() not in INTERNAL_FIELDS],
        persons=entry.persons,
    )
    shown.key = entry.key
    day, month = entry.fields.get("day"), entry.fields.get("month")
    note_date = _DATE_ONLY_NOTE.fullmatch(entry.fields.get("note", "").strip())
    if (
        note_date
        and note_date["year"] == entry.fields.get("year", "").strip()
        and (not month or (month == note_date["month"] and not day))
    ):
        day, month = note_date["day"], note_date["month"]
    if month:
        shown.fields["month"] = f"{day.strip()} {month}" if day and day.strip() else month
    return shown


@node
def shown_to_readers(children, context):
    """Format the one child template against the entry less its internal fields."""
    (template,) = children
    return template.format_data({**context, "entry": reader_entry(context["entry"])})


class Style(UnsrtStyle):
    def format_title(self, e, which_field, as_sentence=True):
        title = field(which_field)  # no apply_func: unsrt's is text.capitalize(), i.e. sentence case
        return sentence[title] if as_sentence else title

    def get_unpublished_template(self, e):
        # unsrt requires `note` here (BibTeX's unpublished entries carry their description in it); `note` is
        # internal in this book, so an unpublished work shows author, title, date and address only.
        return toplevel[
            sentence[self.format_names("author")],
            self.format_title(e, "title"),
            sentence[optional[date]],
            self.format_web_refs(e),
        ]


def _hiding_internal_fields(get_template):
    def get_reader_template(self, e):
        return shown_to_readers[toplevel[get_template(self, e), optional[sentence[field("addendum")]]]]

    get_reader_template.__name__ = get_template.__name__
    get_reader_template.__doc__ = get_template.__doc__
    return get_reader_template


# Every entry type's template, unsrt's and this style's own, formats the entry with its internal fields hidden
# and ends with the addendum.
# Only the templates are wrapped, never format_entry, which bibliography_formatted_once.py wraps for all styles.
for _name in [name for name in dir(Style) if name.startswith("get_") and name.endswith("_template")]:
    setattr(Style, _name, _hiding_internal_fields(getattr(Style, _name)))


def setup(app):
    register_plugin("pybtex.style.formatting", STYLE_NAME, Style, force=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
