"""Two pure speed-ups of the render that leave the HTML as it was (each found with cProfile on this book).

1. pybtex reads every field and every part of a name through its LaTeX decoder (``Text.from_latex``): 5,000
   calls, over a second per build. Most of this bibliography's strings hold no LaTeX at all, and for a string
   with no command, group, tie, maths, comment, dash pair or quote pair the decoder gives ``Text(string)``:
   such strings are given that directly, every other one goes through the decoder as before.
   ``tests/test_cite.py`` checks, for every field and name part of ``references.bib``, that both ways give
   equal text.
2. Sphinx's search index stems each page's words with a cache that lasts one page; the English stemmer is a
   pure function of the word, so one cache serves the whole build (22,000 stems, most of them repeats).
"""

from __future__ import annotations

import functools
import re

from pybtex.richtext import Text
from sphinx.search.en import SearchEnglish

# No backslash, brace, tie, maths, comment or other special character; no "--", "''", "``", "!`" or "?`"; no
# doubled space, tab or line break (the decoder's whitespace rules).
PLAIN = re.compile(r"(?!.*(?:--|''|``|\s\s|[!?]`))[^\\{}~$%&#_^`\"<>\n\t]*", re.S)
DECODE = Text.__dict__["from_latex"].__func__  # pybtex's own, taken before setup() replaces it


def from_latex(cls, latex: str) -> Text:
    """``Text.from_latex``, with plain strings taken as they are."""
    return cls(latex) if PLAIN.fullmatch(latex) else DECODE(cls, latex)


STEM = SearchEnglish.__dict__["stem"]


@functools.cache
def _stem(language: SearchEnglish, word: str) -> str:
    return STEM(language, word)


def stem(self: SearchEnglish, word: str) -> str:
    return _stem(self, word)


def setup(app):
    # setup() may run more than once in one process (tests): replace pybtex's and Sphinx's own only once.
    if getattr(Text.__dict__["from_latex"], "__func__", None) is DECODE:
        Text.from_latex = classmethod(from_latex)
    if SearchEnglish.__dict__["stem"] is STEM:
        SearchEnglish.stem = stem
    return {"parallel_read_safe": True, "parallel_write_safe": True}
