"""The book's citation facts, read from ``CITATION.cff``: shared by the Cite page (``_ext/cite_page.py``) and the
data package (:mod:`iranrussia.datapackage`), so both name the book and its authors the same way."""

from __future__ import annotations

from pathlib import Path

import yaml


def read_citation(path: Path) -> dict:
    """CITATION.cff as a mapping; ``ValueError`` if it is not one or lacks what the book's pages need."""
    cff = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(cff, dict):
        raise ValueError(f"{path}: not a YAML mapping")
    missing = [key for key in ("title", "authors", "version", "date-released") if not cff.get(key)]
    if missing:
        raise ValueError(f"{path}: no {', '.join(missing)}")
    return cff


def author_names(cff: dict) -> list[str]:
    """Each author as cited: an entity's name, or a person's given names, particle, family names and suffix."""
    names = []
    for author in cff["authors"]:
        if author.get("name"):  # an entity
            names.append(str(author["name"]))
        else:
            parts = (author.get(key) for key in ("given-names", "name-particle", "family-names", "name-suffix"))
            names.append(" ".join(str(part) for part in parts if part))
    return names
