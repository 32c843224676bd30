"""The book's tables as a Frictionless Data Package, and the downloads the rendered book ships.

:func:`descriptor` builds ``datapackage.json`` (profile ``tabular-data-package``) from the manifests, which stay
the source of truth: one resource per table, its licence, producer, cited sources, credit line and third-party
terms, and a Table Schema with each column's type, unit and constraints. :func:`write_downloads` writes the
package into a folder: the CSVs and manifests as they are (byte copies), the descriptor, the licence files and
one zip of them all, identical bytes on every run. The book's Sphinx extension ``_ext/data_downloads.py`` calls
it after each HTML build, into ``_build/html/data/``.

Resource paths are relative to the descriptor, which sits beside the CSVs: ``<name>.csv``.

What a Table Schema cannot say, the loader (:func:`iranrussia.data.load`) still checks and a Frictionless
validation does not: the lexical form of numbers (no leading zeros, exponents or ``+``), hidden characters and
white space, markup, bibliography keys and row references. A package that validates is well described; the
loader remains the strict check.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any

from .bibliography import Entry, read_bibliography
from .citation import author_names, read_citation
from .data import Column, Manifest, read_manifest, split_source_keys, table_names
from .paths import BIBLIOGRAPHY, DATA_DIR, REPO_ROOT

PACKAGE_NAME = "iran-russia-data"
DESCRIPTOR_NAME = "datapackage.json"
ZIP_NAME = f"{PACKAGE_NAME}.zip"
#: Shipped with the data: the code licence, the data licence and how to cite the book.
LICENCE_FILES = ("LICENSE", "LICENSE-DATA.md", "CITATION.cff")
#: How the CSVs mark a missing value: an empty cell (the loader reads it as missing, or refuses it in a
#: required column). No other text means missing: "NA" or "-" in a cell is a value.
MISSING_VALUES = [""]
#: Manifest column type -> Table Schema field type. Every type the loader knows must be here.
FIELD_TYPES = {"string": "string", "integer": "integer", "number": "number", "date": "date", "boolean": "boolean"}
CC_BY_4_URL = "https://creativecommons.org/licenses/by/4.0/"
#: Licence addresses with an Open Definition identifier (a licence's "name" must be one).
LICENCE_IDS = {CC_BY_4_URL: "CC-BY-4.0"}
# A zip entry's time stamp: the earliest a zip can hold, so that two runs give the same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class PackageError(ValueError):
    """The manifests cannot be described as a data package (a type or pattern Table Schema cannot express)."""


def field_type(column: Column) -> str:
    """The Table Schema type of a manifest column's type; ``PackageError`` for a type with no mapping."""
    try:
        return FIELD_TYPES[column.type]
    except KeyError:
        raise PackageError(
            f"column {column.name!r}: type {column.type!r} has no Table Schema type (known: {sorted(FIELD_TYPES)})"
        ) from None


def table_schema_pattern(pattern: str) -> str:
    """A manifest pattern as a Table Schema pattern that accepts exactly the same cells.

    The loader tests ``re.fullmatch(pattern, cell, re.ASCII)``. Table Schema patterns are XML Schema regular
    expressions, which always match the whole value, have no anchors (``^`` and ``$`` are plain characters) and
    read ``\\d`` as any Unicode digit; Frictionless tests ``re.match("^" + pattern + "$", cell)``. So the leading
    ``^`` and trailing ``$`` are dropped, ``\\d`` becomes ``[0-9]`` (``0-9`` in a class), ``(?:`` becomes ``(``
    and a top-level alternation is put in a group. Anything without an XML Schema equivalent (anchors elsewhere,
    look-arounds, named groups, lazy quantifiers, ``\\w``, ``\\s``, ``\\b``, back-references) is refused with
    ``PackageError`` rather than translated loosely.
    """

    def refuse(what: str) -> PackageError:
        return PackageError(f"pattern {pattern!r}: {what} has no Table Schema (XML Schema) equivalent")

    out: list[str] = []
    depth = 0
    alternation = False
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            escaped = pattern[i + 1 : i + 2]
            if not escaped:
                raise refuse("a trailing backslash")
            if escaped == "d":
                out.append("0-9" if in_class else "[0-9]")
            elif escaped == "D" and not in_class:
                out.append("[^0-9]")
            elif escaped.isalnum():  # \w \s \b \A \Z \1 ...: Unicode-dependent or not XML Schema
                raise refuse(f"'\\{escaped}'")
            else:
                out.append(char + escaped)
            i += 2
            continue
        if in_class:
            if char == "[":
                raise refuse("a '[' inside a character class")
            if char == "]":
                in_class = False
            out.append(char)
            i += 1
            continue
        if char == "[":
            in_class = True
            opening = "[^" if pattern.startswith("[^", i) else "["
            out.append(opening)
            i += len(opening)
            if pattern.startswith("]", i):  # a ']' first in a class is a plain character to Python
                out.append("\\]")
                i += 1
            continue
        if char == "^":
            if i != 0:
                raise refuse("'^' other than at the start")
        elif char == "$":
            if i != len(pattern) - 1:
                raise refuse("'$' other than at the end")
        elif char == "(":
            if pattern.startswith("(?:", i):
                i += 3
                out.append("(")
                depth += 1
                continue
            if pattern.startswith("(?", i):
                raise refuse("a '(?' group")
            depth += 1
            out.append(char)
        elif char == ")":
            depth -= 1
            out.append(char)
        elif char in "*+?}" and pattern[i + 1 : i + 2] in ("?", "+"):
            raise refuse(f"the lazy or possessive quantifier {char + pattern[i + 1]!r}")
        else:
            if char == "|" and depth == 0:
                alternation = True
            out.append(char)
        i += 1
    translated = "".join(out)
    return f"({translated})" if alternation else translated


def _json_value(value: Any) -> Any:
    """A manifest's enum value or bound as JSON: dates (YAML may read an unquoted one as a date) as YYYY-MM-DD."""
    return value.isoformat() if isinstance(value, dt.date) else value


def field(column: Column, *, in_primary_key: bool = False) -> dict[str, Any]:
    """The Table Schema field of a manifest column."""
    described: dict[str, Any] = {"name": column.name, "type": field_type(column), "description": column.description}
    if column.type == "boolean":  # the loader reads only these two words; Frictionless would also take 1, TRUE
        described["trueValues"], described["falseValues"] = ["true"], ["false"]
    if column.unit is not None:
        described["unit"] = column.unit  # a custom property: Table Schema has no unit
    constraints: dict[str, Any] = {}
    # The loader refuses an empty primary-key cell whatever the column says.
    if column.required or in_primary_key:
        constraints["required"] = True
    if column.enum is not None:
        constraints["enum"] = [_json_value(v) for v in column.enum]
    if column.minimum is not None:
        constraints["minimum"] = _json_value(column.minimum)
    if column.maximum is not None:
        constraints["maximum"] = _json_value(column.maximum)
    if column.pattern is not None:
        constraints["pattern"] = table_schema_pattern(column.pattern)
    if constraints:
        described["constraints"] = constraints
    if column.labels is not None:  # Table Schema 2's name for a labelled enum
        described["categories"] = [{"value": _json_value(v), "label": label} for v, label in column.labels.items()]
    return described


def licence(manifest: Manifest) -> dict[str, str]:
    """A manifest's licence as a Data Package licence: the manifest's wording as the title, its address as the
    path, and an Open Definition identifier as the name where the address has one."""
    url = manifest.licence["url"]
    described = {"path": url, "title": manifest.licence["name"]}
    if url in LICENCE_IDS:
        described = {"name": LICENCE_IDS[url], **described}
    return described


def _source(entry: Entry) -> dict[str, str]:
    authors = ", ".join(entry.authors)
    title = f"{authors} ({entry.fields.get('year', 'n.d.')}). {entry.fields['title']}"
    described = {"title": title}
    if entry.url:
        described["path"] = entry.url
    return described


def sources(manifest: Manifest, entries: dict[str, Entry]) -> list[dict[str, str]]:
    """The table's producer, then every bibliography entry its source-key columns cite, by key."""
    cited: set[str] = set()
    source_columns = [c.name for c in manifest.columns if c.source_keys]
    if source_columns:
        with open(manifest.path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                for name in source_columns:
                    cited.update(split_source_keys(row[name]))
    missing = sorted(cited - entries.keys())
    if missing:
        raise PackageError(f"{manifest.path.name}: source keys {missing} have no entry in the bibliography")
    return [{"title": manifest.producer}, *(_source(entries[key]) for key in sorted(cited))]


def resource(manifest: Manifest, entries: dict[str, Entry]) -> dict[str, Any]:
    """The Data Package resource of one table, beside the descriptor."""
    described: dict[str, Any] = {
        "name": manifest.name,
        "profile": "tabular-data-resource",
        "path": f"{manifest.name}.csv",
        "title": manifest.title,
        "description": manifest.description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "hash": f"sha256:{manifest.sha256}",
        "licenses": [licence(manifest)],
        "sources": sources(manifest, entries),
        "credit": manifest.credit,  # custom properties, as the manifest has them
    }
    if manifest.third_party_terms:
        described["thirdPartyTerms"] = " ".join(manifest.third_party_terms.split())
    # The CSV as data.write writes it and the loader reads it.
    described["dialect"] = {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True}
    described["schema"] = {
        "fields": [field(c, in_primary_key=c.name in manifest.primary_key) for c in manifest.columns],
        "primaryKey": list(manifest.primary_key),
        "missingValues": MISSING_VALUES,
    }
    return described


def descriptor(
    data_dir: Path = DATA_DIR, *, root: Path = REPO_ROOT, bibliography: Path = BIBLIOGRAPHY
) -> dict[str, Any]:
    """The ``datapackage.json`` of every table in ``data_dir``, book-level facts from ``root``'s CITATION.cff."""
    citation = read_citation(Path(root) / "CITATION.cff")
    entries = read_bibliography(bibliography)
    released = citation["date-released"]
    released = released if isinstance(released, dt.date) else dt.date.fromisoformat(str(released))
    return {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "title": citation["title"],
        "description": (
            f"The data tables of the book {citation['title']}. Each table keeps its producer's terms (the "
            "licence, credit line and third-party terms of each resource, from its manifest in data/); the "
            "book's own compilations are under CC BY 4.0 (LICENSE-DATA.md). Cite the book as CITATION.cff says."
        ),
        "version": str(citation["version"]),
        "created": f"{released.isoformat()}T00:00:00Z",
        "keywords": list(citation.get("keywords", [])),
        "licenses": [{"name": "CC-BY-4.0", "path": CC_BY_4_URL, "title": "Creative Commons Attribution 4.0"}],
        "contributors": [{"title": name, "role": "author"} for name in author_names(citation)],
        "resources": [resource(read_manifest(name, data_dir), entries) for name in table_names(data_dir)],
    }


def descriptor_bytes(package: dict[str, Any]) -> bytes:
    return (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_downloads(
    out_dir: Path, data_dir: Path = DATA_DIR, *, root: Path = REPO_ROOT, bibliography: Path = BIBLIOGRAPHY
) -> list[Path]:
    """Make ``out_dir`` hold exactly the data downloads; return the files written, sorted.

    ``out_dir`` gets each table's CSV and manifest (byte copies), ``datapackage.json``, the licence files and
    ``iran-russia-data.zip`` holding all of those. Whatever else was in ``out_dir`` is removed (a table
    deleted since the last build must not linger). A CSV whose sha256 is not its manifest's is refused: the
    package would describe a file it does not ship.
    """
    out_dir, data_dir, root = Path(out_dir), Path(data_dir), Path(root)
    package = descriptor(data_dir, root=root, bibliography=bibliography)
    files: dict[str, bytes] = {}
    for name in table_names(data_dir):
        manifest = read_manifest(name, data_dir)
        table = manifest.path.read_bytes()
        if hashlib.sha256(table).hexdigest() != manifest.sha256:
            raise PackageError(
                f"{manifest.path}: its sha256 is not the one {manifest.manifest_path.name} records; "
                "run `python3 tasks.py rehash` if the change is intended"
            )
        files[manifest.path.name] = table
        files[manifest.manifest_path.name] = manifest.manifest_path.read_bytes()
    for name in LICENCE_FILES:
        files[name] = (root / name).read_bytes()
    files[DESCRIPTOR_NAME] = descriptor_bytes(package)
    files[ZIP_NAME] = zip_bytes(files)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    for name, data in files.items():
        (out_dir / name).write_bytes(data)
    return sorted(out_dir / name for name in files)


def zip_bytes(files: dict[str, bytes]) -> bytes:
    """A zip of ``files`` (name -> bytes), the same bytes for the same files: sorted names, fixed time stamps
    and permissions, one compression level."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that the permission bits below are read as such everywhere
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name], compresslevel=9)
    return buffer.getvalue()


if __name__ == "__main__":  # python -m iranrussia.datapackage OUT_DIR
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m iranrussia.datapackage OUT_DIR")
    for path in write_downloads(Path(sys.argv[1])):
        print(path)
