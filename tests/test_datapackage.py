"""The data package the book ships: valid for Frictionless, faithful to the manifests, written the same each time.

Every Frictionless call here runs with the network cut off (:func:`offline`): the package must validate with
the profiles Frictionless carries, never fetched ones.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import importlib.util
import json
import os
import re
import shutil
import socket
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import frictionless
import pytest
import yaml

from iranrussia.data import COLUMN_TYPES, Column, DataValidationError, load, refresh_manifest_sha256
from iranrussia.datapackage import PackageError, descriptor, field, table_schema_pattern, write_downloads

REPO_ROOT = Path(__file__).resolve().parent.parent
REPO_DATA = REPO_ROOT / "data"
LICENCE_FILES = {"LICENSE", "LICENSE-DATA.md", "CITATION.cff"}


@contextlib.contextmanager
def offline():
    """No socket may connect inside this block: a fetched profile or schema is an error, not a silent fetch."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "create_connection", refuse)
        yield


def validate(path: Path) -> frictionless.Report:
    with offline():
        return frictionless.validate(str(path))


def errors(report: frictionless.Report) -> list[tuple]:
    """(table, row number, field, error type) of every error; the header is row 1."""
    found = [(None, None, None, e.type) for e in report.errors]
    for task in report.tasks:
        found += [
            (task.name, getattr(e, "row_number", None), getattr(e, "field_name", None), e.type) for e in task.errors
        ]
    return found


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> Path:
    """The downloads for the real data, as the build writes them."""
    out = tmp_path_factory.mktemp("html") / "data"
    write_downloads(out)
    return out


def _manifests_as_yaml() -> dict[str, dict]:
    # Read with PyYAML directly, not through the loader: the counts must not come from the generator's own path.
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(REPO_DATA.glob("*.yml"))}


# ------------------------------------------------------------------------------ the real data package ----


def test_the_real_tables_validate_with_no_error(shipped):
    report = validate(shipped / "datapackage.json")
    assert errors(report) == []
    assert report.valid
    assert report.stats["tasks"] == len(list(REPO_DATA.glob("*.yml")))


def test_every_table_is_a_resource_and_every_manifest_column_a_field(shipped):
    package = json.loads((shipped / "datapackage.json").read_text(encoding="utf-8"))
    manifests = _manifests_as_yaml()
    resources = {r["name"]: r for r in package["resources"]}
    assert sorted(resources) == sorted(manifests)
    for name, manifest in manifests.items():
        described = resources[name]
        assert [f["name"] for f in described["schema"]["fields"]] == [c["name"] for c in manifest["columns"]]
        assert described["schema"]["primaryKey"] == manifest["primary_key"]
        assert described["path"] == f"{name}.csv"
        csv_bytes = (REPO_DATA / f"{name}.csv").read_bytes()
        assert described["hash"] == "sha256:" + hashlib.sha256(csv_bytes).hexdigest()
        assert (shipped / described["path"]).read_bytes() == csv_bytes
        assert described["licenses"][0]["path"] == manifest["licence"]["url"]
        assert described["licenses"][0]["title"] == manifest["licence"]["name"]
        assert described["sources"][0] == {"title": manifest["producer"]}
        assert described["credit"] == " ".join(manifest["credit"].split())
        assert ("thirdPartyTerms" in described) == bool(manifest.get("third_party_terms"))
    total = sum(len(m["columns"]) for m in manifests.values())
    assert sum(len(r["schema"]["fields"]) for r in package["resources"]) == total


def test_the_package_names_the_book_its_licence_and_version(shipped):
    package = json.loads((shipped / "datapackage.json").read_text(encoding="utf-8"))
    citation = yaml.safe_load((REPO_ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    book_title = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))["title"]
    assert package["profile"] == "tabular-data-package"
    assert package["title"] == citation["title"] == book_title
    assert package["version"] == citation["version"]
    assert package["created"].startswith(str(citation["date-released"]))
    assert {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}.items() <= package["licenses"][
        0
    ].items()
    assert [c["title"] for c in package["contributors"]] == [a["name"] for a in citation["authors"]]


def test_a_resource_lists_the_bibliography_entries_its_rows_cite(shipped):
    package = json.loads((shipped / "datapackage.json").read_text(encoding="utf-8"))
    events = next(r for r in package["resources"] if r["name"] == "events")
    [source_column] = [c["name"] for c in _manifests_as_yaml()["events"]["columns"] if c.get("source_keys")]
    with open(REPO_DATA / "events.csv", encoding="utf-8", newline="") as handle:
        first_key = next(csv.DictReader(handle))[source_column].split(";")[0].strip()
    bib = (REPO_ROOT / "references.bib").read_text(encoding="utf-8")
    entry = re.search(r"@\w+\{" + re.escape(first_key) + r",(.*?)\n\}", bib, re.S).group(1)
    url = re.search(r"\burl\s*=\s*\{([^}]*)\}", entry).group(1)
    assert url in [s.get("path") for s in events["sources"]]


# ------------------------------------------------------------------------- a tiny table, broken on purpose ----

TINY_MANIFEST = """\
name: tiny
title: A tiny table
description: One column of each kind of rule.
path: tiny.csv
sha256: {sha}
producer: The test
licence: {{name: CC BY 4.0, url: "https://creativecommons.org/licenses/by/4.0/"}}
credit: The test.
primary_key: [row_id]
columns:
  - {{name: row_id, type: string, description: Key., pattern: '^T\\d{{2}}$'}}
  - {{name: count, type: integer, description: A count., unit: items, minimum: 0, maximum: 10}}
  - {{name: share, type: number, description: A share., unit: percent}}
  - {{name: day, type: date, description: A day., minimum: '2020-01-01'}}
  - {{name: flag, type: boolean, description: A flag., required: true}}
  - {{name: kind, type: string, description: A kind., enum: [a, b]}}
"""
TINY_ROWS = ["row_id,count,share,day,flag,kind", "T01,3,2.5,2024-05-03,true,a", "T02,10,,2020-01-01,false,b"]


def _tiny(tmp_path: Path, second_row: str, manifest: str = TINY_MANIFEST) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "tiny.yml").write_text(manifest.format(sha="0" * 64), encoding="utf-8")
    (data / "tiny.csv").write_text("\n".join([*TINY_ROWS[:2], second_row]) + "\n", encoding="utf-8")
    refresh_manifest_sha256(data / "tiny.csv")  # the hash matches: only the broken cell is wrong
    return data


def test_the_tiny_table_is_valid_as_written(tmp_path):
    data = _tiny(tmp_path, TINY_ROWS[2])
    load("tiny", data_dir=data)
    report = validate(write_downloads(tmp_path / "out", data)[0].parent / "datapackage.json")
    assert errors(report) == []


BROKEN_CELLS = [  # column, cell on the second data row (row 3 to Frictionless), the error Frictionless gives
    ("row_id", "T2", "constraint-error"),  # pattern
    ("row_id", "XT02", "constraint-error"),  # pattern: the manifest's ^ anchors the start
    ("row_id", "T02x", "constraint-error"),  # and its $ the end
    ("row_id", "T\u0660\u0662", "constraint-error"),  # Arabic-Indic digits: the loader's \d is ASCII
    ("row_id", "", "constraint-error"),  # a primary-key cell may not be empty (also a primary-key error)
    ("count", "11", "constraint-error"),  # maximum
    ("count", "-1", "constraint-error"),  # minimum
    ("count", "2.5", "type-error"),
    ("share", "NA", "type-error"),  # only an empty cell means missing
    ("share", "1 000", "type-error"),
    ("day", "2019-12-31", "constraint-error"),  # minimum
    ("day", "03/05/2024", "type-error"),
    ("flag", "TRUE", "type-error"),  # the loader reads only true and false
    ("flag", "1", "type-error"),
    ("flag", "", "constraint-error"),  # required
    ("kind", "c", "constraint-error"),  # enum
]


@pytest.mark.parametrize(("column", "cell", "expected"), BROKEN_CELLS)
def test_a_cell_breaking_a_manifest_rule_is_an_error_on_its_row_and_field(tmp_path, column, cell, expected):
    cells = dict(zip(TINY_ROWS[0].split(","), TINY_ROWS[2].split(",")))
    cells[column] = cell
    data = _tiny(tmp_path, ",".join(cells.values()))
    with pytest.raises(DataValidationError) as refused:  # the loader refuses it too, at the same place
        load("tiny", data_dir=data)
    assert (refused.value.line, refused.value.column) == (3, column)
    write_downloads(tmp_path / "out", data)
    expected_errors = [("tiny", 3, column, expected)]
    if column == "row_id" and cell == "":  # Frictionless also reports the key, with no field
        expected_errors.append(("tiny", 3, None, "primary-key"))
    assert errors(validate(tmp_path / "out" / "datapackage.json")) == expected_errors


# ------------------------------------------------------------------------------------ each column type ----

TYPE_CASES = {  # manifest type: (Table Schema type, a cell of the type, a cell that is not)
    "string": ("string", "any text", None),
    "integer": ("integer", "42", "4.2"),
    "number": ("number", "-0.5", "five"),
    "date": ("date", "2024-02-29", "2023-02-29"),
    "boolean": ("boolean", "false", "yes"),
}


def test_every_loader_type_has_a_case_here():
    assert set(TYPE_CASES) == set(COLUMN_TYPES)


@pytest.mark.parametrize("manifest_type", sorted(TYPE_CASES))
def test_each_manifest_type_maps_to_its_table_schema_type(tmp_path, manifest_type):
    schema_type, good, bad = TYPE_CASES[manifest_type]
    unit = ", unit: things" if manifest_type in ("integer", "number") else ""
    manifest = TINY_MANIFEST.split("columns:")[0] + (
        "columns:\n"
        "  - {{name: row_id, type: string, description: Key.}}\n"
        f"  - {{{{name: value, type: {manifest_type}, description: A value.{unit}}}}}\n"
    )
    for row, cell in (("T01", good), ("T02", bad)):
        if cell is None:
            continue
        folder = tmp_path / row
        folder.mkdir()
        data = folder / "data"
        data.mkdir()
        (data / "tiny.yml").write_text(manifest.format(sha="0" * 64), encoding="utf-8")
        (data / "tiny.csv").write_text(f"row_id,value\n{row},{cell}\n", encoding="utf-8")
        refresh_manifest_sha256(data / "tiny.csv")
        package = descriptor(data)
        assert package["resources"][0]["schema"]["fields"][1]["type"] == schema_type
        write_downloads(folder / "out", data)
        found = errors(validate(folder / "out" / "datapackage.json"))
        assert found == ([] if cell == good else [("tiny", 2, "value", "type-error")])


def test_an_unknown_column_type_is_refused():
    with pytest.raises(PackageError, match="'duration'"):
        field(Column(name="lasted", type="duration", description="How long."))


# ---------------------------------------------------------------------------------------------- patterns ----


def _frictionless_accepts(pattern: str, cell: str) -> bool:
    _, notes = frictionless.fields.StringField(name="x", constraints={"pattern": pattern}).read_cell(cell)
    return not notes


def _real_patterns() -> list[tuple[str, str, str]]:
    found = []
    for name, manifest in _manifests_as_yaml().items():
        found += [(name, c["name"], c["pattern"]) for c in manifest["columns"] if c.get("pattern")]
    return found


@pytest.mark.parametrize(("table", "column", "pattern"), _real_patterns())
def test_each_manifest_pattern_accepts_in_frictionless_what_the_loader_accepts(table, column, pattern):
    with open(REPO_DATA / f"{table}.csv", encoding="utf-8", newline="") as handle:
        cells = {row[column] for row in csv.DictReader(handle) if row[column]}
    probes = set(cells)
    for cell in cells:  # near misses: another script's digits, a character too many at either end, a space
        probes |= {re.sub("[0-9]", "\u0663", cell), f"x{cell}", f"{cell}x", f"{cell};", f" {cell}", cell[:-1]}
    translated = table_schema_pattern(pattern)
    assert not translated.startswith("^") and not translated.endswith("$")  # XML Schema has no anchors
    disagreements = [
        p for p in sorted(probes) if _frictionless_accepts(translated, p) != bool(re.fullmatch(pattern, p, re.ASCII))
    ]
    assert disagreements == []
    assert any(not re.fullmatch(pattern, p, re.ASCII) for p in probes)  # the probes do test a refusal


@pytest.mark.parametrize(
    ("pattern", "cells"),
    [
        ("^a|b$", ["a", "b", "ab", "ba", "a|b"]),  # a top-level alternation stays whole-cell
        (r"^(?:x|y)z$", ["xz", "yz", "z", "xyz"]),
        (r"^[\d.]+$", ["1.5", "1\u06605", "a"]),  # \d inside a class
        (r"[^;]+", ["a b", "a;b", ";"]),  # (an empty cell is missing, never matched against a pattern)
        (r"^\D\d$", ["a1", "11", "a\u0661"]),
        (r"^[]a]+$", ["]a", "a", "b"]),  # ']' first in a class is a plain character
        (r"^\^\$$", ["^$", "x", "^x$"]),  # escaped anchors are characters
    ],
)
def test_a_translated_pattern_matches_like_the_loader(pattern, cells):
    translated = table_schema_pattern(pattern)
    # XML Schema has no anchors: a '^' or '$' left at either end would be a character to match.
    assert not translated.startswith("^") and not re.search(r"(?<!\\)\$$", translated)
    assert [_frictionless_accepts(translated, c) for c in cells] == [
        bool(re.fullmatch(pattern, c, re.ASCII)) for c in cells
    ]


@pytest.mark.parametrize("pattern", [r"^\w+$", r"^\s$", r"a$b", r"a^b", r"(?=a)a", r"(?P<n>a)", r"a+?", r"(a)\1"])
def test_a_pattern_with_no_table_schema_equivalent_is_refused(pattern):
    with pytest.raises(PackageError):
        table_schema_pattern(pattern)


# --------------------------------------------------------------------- the downloads the build writes ----


def _copy_of_the_book(tmp_path: Path) -> Path:
    """The files the downloads are made from, in a folder of their own (so a test may touch them)."""
    root = tmp_path / "book"
    shutil.copytree(REPO_DATA, root / "data", ignore=shutil.ignore_patterns("README.md"))
    for name in [*LICENCE_FILES, "references.bib"]:
        shutil.copy2(REPO_ROOT / name, root / name)
    return root


def _write(root: Path, out: Path) -> list[Path]:
    return write_downloads(out, root / "data", root=root, bibliography=root / "references.bib")


def test_the_downloads_are_exactly_the_tables_manifests_package_licences_and_zip(shipped):
    tables = sorted(p.stem for p in REPO_DATA.glob("*.yml"))
    packaged = {f"{n}.csv" for n in tables} | {f"{n}.yml" for n in tables} | LICENCE_FILES | {"datapackage.json"}
    assert {p.name for p in shipped.iterdir()} == packaged | {"iran-russia-data.zip"}
    for name in [*(f"{n}.csv" for n in tables), *(f"{n}.yml" for n in tables)]:
        assert (shipped / name).read_bytes() == (REPO_DATA / name).read_bytes()
    for name in LICENCE_FILES:
        assert (shipped / name).read_bytes() == (REPO_ROOT / name).read_bytes()
    with zipfile.ZipFile(shipped / "iran-russia-data.zip") as archive:
        assert archive.namelist() == sorted(packaged)
        for name in archive.namelist():
            assert archive.read(name) == (shipped / name).read_bytes()


def test_the_zip_is_a_valid_data_package_too(shipped):
    assert errors(validate(shipped / "iran-russia-data.zip")) == []


def test_writing_twice_gives_the_same_bytes_whatever_the_files_times(tmp_path, monkeypatch):
    root = _copy_of_the_book(tmp_path)
    first = {p.name: p.read_bytes() for p in _write(root, tmp_path / "first")}
    for path in [*(root / "data").iterdir(), *(root / n for n in LICENCE_FILES)]:
        os.utime(path, (1_000_000_000, 1_000_000_000))  # 2001: a zip that kept file times would change
    # ... and so would one stamped with the time of writing: the second write runs a day later by the clock
    # zipfile reads (time.time, time.localtime), rather than sleeping past the zip's 2 s time resolution.
    real_time, real_localtime = time.time, time.localtime
    monkeypatch.setattr(time, "time", lambda: real_time() + 86_400)
    monkeypatch.setattr(time, "localtime", lambda secs=None: real_localtime(time.time() if secs is None else secs))
    assert time.localtime()[:3] != real_localtime()[:3]
    second = {p.name: p.read_bytes() for p in _write(root, tmp_path / "second")}
    monkeypatch.undo()
    assert first.keys() == second.keys()
    assert [n for n in first if first[n] != second[n]] == []


def test_a_table_removed_since_the_last_build_leaves_no_download_behind(tmp_path):
    root = _copy_of_the_book(tmp_path)
    out = tmp_path / "out"
    _write(root, out)
    (root / "data" / "oil_flows.csv").unlink()
    (root / "data" / "oil_flows.yml").unlink()
    _write(root, out)
    assert not (out / "oil_flows.csv").exists() and not (out / "oil_flows.yml").exists()
    with zipfile.ZipFile(out / "iran-russia-data.zip") as archive:
        assert "oil_flows.csv" not in archive.namelist()


def test_a_table_that_is_not_the_file_its_manifest_hashed_is_not_shipped(tmp_path):
    root = _copy_of_the_book(tmp_path)
    with open(root / "data" / "events.csv", "a", encoding="utf-8") as table:
        table.write("\n")
    with pytest.raises(PackageError, match="events.csv"):
        _write(root, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def _extension():
    spec = importlib.util.spec_from_file_location("data_downloads", REPO_ROOT / "_ext" / "data_downloads.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("builder_format", "exception", "has_tables", "writes"),
    [
        ("html", None, True, True),
        ("html", RuntimeError("a page failed"), True, False),
        ("latex", None, True, False),
        ("html", None, False, False),  # a book with no data/ (the browser tests' one-chapter book) builds
    ],
)
def test_the_extension_writes_the_downloads_after_a_successful_html_build_only(
    tmp_path, builder_format, exception, has_tables, writes
):
    extension = _extension()
    root = _copy_of_the_book(tmp_path) if has_tables else tmp_path / "book"
    root.mkdir(exist_ok=True)
    connected = []
    app = SimpleNamespace(
        srcdir=str(root),
        outdir=str(tmp_path / "html"),
        builder=SimpleNamespace(format=builder_format),
        connect=lambda event, handler: connected.append((event, handler)),
    )
    assert extension.setup(app) == {"parallel_read_safe": True, "parallel_write_safe": True}
    [(event, handler)] = connected
    assert event == "build-finished"
    handler(app, exception)
    assert (tmp_path / "html" / "data" / "datapackage.json").is_file() == writes
    assert (tmp_path / "html" / "data" / "iran-russia-data.zip").is_file() == writes
