"""Load the book's tables: local files only, checked against their manifests, returned typed.

Each table is ``data/<name>.csv`` with a manifest ``data/<name>.yml`` (format: ``data/README.md``).
``load(name)`` checks, in this order: the manifest itself, that the file is non-empty UTF-8, its sha256,
its header, then every cell, the primary key, the source keys and the row count. Any breach raises
:class:`DataValidationError` naming the file, the line, the column and the rule. Nothing is coerced or
dropped: the CSV is read as text and each cell is parsed by the rule its column declares.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .bibliography import read_bibliography
from .files import atomic_write_text
from .fingerprint import note_columns, note_listing, note_read, unrecorded
from .paths import BIBLIOGRAPHY, DATA_DIR
from .textrules import MARKUP_OPTIONS, PLAIN_URL, hidden_character_problem, markup_problem, non_ascii_digit_problem

COLUMN_TYPES = ("string", "integer", "number", "date", "boolean")
SOURCE_SEPARATOR = ";"

_MANIFEST_KEYS_REQUIRED = {
    "name",
    "title",
    "description",
    "path",
    "sha256",
    "producer",
    "licence",
    "credit",
    "primary_key",
    "columns",
}
_MANIFEST_KEYS_OPTIONAL = {"third_party_terms", "builder", "min_rows", "coverage", "sort_by"}
# Column types that can say when a row is: dates, years (integer) or period labels such as 2024-05 (string).
_COVERAGE_TYPES = ("date", "integer", "string")
_COLUMN_KEYS_REQUIRED = {"name", "type", "description"}
_COLUMN_KEYS_OPTIONAL = {
    "unit",
    "required",
    "enum",
    "minimum",
    "maximum",
    "pattern",
    "source_keys",
    "row_refs",
    "markup",
}
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")  # table and column names
# libyaml's safe loader when installed (about ten times faster on the larger manifests), else PyYAML's own.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# ASCII digits only: Python's int() and float() also read Arabic-Indic or full-width digits, which the data
# contract does not allow (textrules.non_ascii_digit_problem names them).
# No leading zeros ("007" would load as 7 and be written back as "7") and no "-0".
_INTEGER = re.compile(r"0|-?[1-9][0-9]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
_THOUSANDS = re.compile(r"-?[0-9]{1,3}(?:([, ])[0-9]{3})+(?:\.[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BOOLEAN = {"true": True, "false": False}


class DataValidationError(ValueError):
    """A table or its manifest breaks a rule. ``file``, ``line``, ``column`` and ``rule`` say where and which.

    ``line`` counts physical lines of the CSV file, the header being line 1.
    """

    def __init__(
        self, file: Path | str, rule: str, message: str, *, line: int | None = None, column: str | None = None
    ):
        self.file, self.rule, self.line, self.column = Path(file), rule, line, column
        where = str(file)
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column '{column}'"
        super().__init__(f"{where}: rule '{rule}': {message}")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    unit: str | None = None
    required: bool = False
    enum: tuple[Any, ...] | None = None
    minimum: Any = None
    maximum: Any = None
    pattern: str | None = None
    source_keys: bool = False
    row_refs: bool = False
    markup: str | None = None  # None: plain text only; "inline": http(s) links and *emphasis* allowed
    labels: dict[Any, str] | None = field(default=None, compare=False)  # a labelled enum's value -> label

    def label(self, value: Any) -> str:
        """The label a labelled enum gives ``value`` (``KeyError`` naming the column for a value it lacks)."""
        if self.labels is None:
            raise KeyError(f"column {self.name!r} has no labelled enum")
        if value not in self.labels:
            raise KeyError(f"column {self.name!r} has no label for {value!r}")
        return self.labels[value]

    @property
    def is_key_like(self) -> bool:
        """Cells compared as identifiers (keys, enums, patterned codes), where a look-alike space is an error."""
        return self.source_keys or self.row_refs or self.enum is not None or self.pattern is not None


@dataclass(frozen=True)
class Manifest:
    """A table's description: what it is, who made it, under what terms, and its schema."""

    name: str
    title: str
    description: str
    path: Path
    sha256: str
    producer: str
    licence: dict[str, str]
    credit: str
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...]
    manifest_path: Path
    third_party_terms: str | None = None
    builder: str | None = None
    min_rows: int | None = None
    coverage: tuple[str, str] | None = None
    # The row order :func:`write` gives the file: (column, in enum order) pairs; default, the primary key.
    sort_by: tuple[tuple[str, bool], ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __deepcopy__(self, memo) -> Manifest:
        # Read-only, so copies may share it. pandas deep-copies a frame's attrs (where load puts the manifest)
        # on almost every operation; copying the whole schema each time took three quarters of the claims
        # ledger's run time (profiled).
        return self

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name} has no column {name!r} (columns: {self.column_names})")


def table_names(data_dir: Path = DATA_DIR) -> list[str]:
    """Names of all tables described in ``data_dir`` (one per manifest)."""
    names = sorted(p.stem for p in Path(data_dir).glob("*.yml"))
    note_listing(data_dir, "*.yml", [f"{n}.yml" for n in names])  # what lists the tables depends on the list
    return names


def read_manifest(name: str, data_dir: Path = DATA_DIR) -> Manifest:
    """Read and check ``data_dir/<name>.yml``."""
    manifest_path = Path(data_dir) / f"{name}.yml"
    if not manifest_path.is_file():
        known = ", ".join(table_names(data_dir)) or "none"
        raise DataValidationError(manifest_path, "manifest-missing", f"no manifest for table '{name}' (known: {known})")
    data = manifest_path.read_bytes()
    note_read(manifest_path, data)
    # A rehash changes only the hash line, and the mutation tests rehash hundreds of times: parse and check the
    # rest once, with a stand-in hash, then put the real one in. Anything unusual gets the plain full parse.
    hash_lines = _HASH_LINE.findall(data)
    if len(hash_lines) != 1 or len(re.findall(rb"(?m)^sha256", data)) != 1 or not re.search(rb"[a-f]", hash_lines[0]):
        return _manifest_from(manifest_path, data)  # (all digits: YAML reads a number, which the check refuses)
    manifest = _manifest_from(manifest_path, _HASH_LINE.sub(b"sha256: " + _HASH_STAND_IN, data))
    if manifest.sha256 != _HASH_STAND_IN.decode():  # e.g. a quoted "sha256" key elsewhere wins
        return _manifest_from(manifest_path, data)
    digest = hash_lines[0].decode()
    return dataclasses.replace(manifest, sha256=digest, raw={**manifest.raw, "sha256": digest})


_HASH_LINE = re.compile(rb"(?m)^sha256: ([0-9a-f]{64})[ \t]*$")
_HASH_STAND_IN = b"f" * 64  # has a letter, so YAML reads it as text, as it reads a real hash


@functools.lru_cache(maxsize=512)
def _manifest_from(manifest_path: Path, data: bytes) -> Manifest:
    """The manifest these bytes describe, checked. Cached on the bytes: a manifest is read-only, and the test
    suite reads each one hundreds of times (every mutant of a table loads it again)."""
    name, data_dir = manifest_path.stem, manifest_path.parent
    try:
        # As read_text would: universal newlines
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        raw = yaml.load(text, Loader=_YAML_LOADER)
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise DataValidationError(manifest_path, "manifest-parse", str(err)) from err

    def fail(message: str, column: str | None = None) -> DataValidationError:
        return DataValidationError(manifest_path, "manifest", message, column=column)

    def check_text(text: object, what: str, column: str | None = None) -> None:
        # Manifest text reaches the page too (data dictionary, credit lines): the same rules as a data cell,
        # except that YAML's folded text may hold line breaks.
        if not isinstance(text, str):
            return
        for rule, problem in (
            ("hidden-character", hidden_character_problem(text.replace("\n", " "))),
            ("markup", markup_problem(text)),
        ):
            if problem:
                raise DataValidationError(manifest_path, rule, f"{what}: {problem}", column=column)

    if not isinstance(raw, dict):
        raise fail("a manifest is a YAML mapping")
    missing = _MANIFEST_KEYS_REQUIRED - raw.keys()
    unknown = raw.keys() - _MANIFEST_KEYS_REQUIRED - _MANIFEST_KEYS_OPTIONAL
    if missing == {"sha256"}:
        raise fail(f"no 'sha256' line: run `python3 tasks.py rehash {name}` to add it")
    if missing:
        raise fail(f"missing keys: {sorted(missing)}")
    if unknown:
        raise fail(f"unknown keys: {sorted(unknown)}")
    if raw["name"] != name:
        raise fail(f"name is {raw['name']!r} but the manifest file is {name}.yml")
    if not _IDENTIFIER.fullmatch(name):
        raise fail(f"table name {name!r} must be lowercase letters, digits and '_', starting with a letter")
    if raw["path"] != f"{name}.csv":
        raise fail(f"path is {raw['path']!r}; a table's file is {name}.csv, beside its manifest")
    for key in ("title", "description", "producer", "credit", "path"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise fail(f"'{key}' must be non-empty text")
    for key in ("title", "description", "producer", "credit", "third_party_terms"):
        check_text(raw.get(key), f"'{key}'")
    if not isinstance(raw["sha256"], str) or not re.fullmatch(r"[0-9a-f]{64}", raw["sha256"]):
        hint = " (YAML reads an unquoted run of digits as a number)" if isinstance(raw["sha256"], int) else ""
        raise fail(
            f"'sha256' must be 64 lowercase hex digits, found {raw['sha256']!r}{hint}: "
            f"run `python3 tasks.py rehash {name}` to write the file's hash"
        )
    licence = raw["licence"]
    if not isinstance(licence, dict) or not licence.get("name") or not licence.get("url"):
        raise fail("'licence' needs a name and a url")
    if not PLAIN_URL.fullmatch(str(licence["url"])):
        raise fail(f"licence url {licence['url']!r} is not a plain http(s) address")
    check_text(licence["name"], "licence name")

    columns = []
    for spec in raw["columns"] or []:
        if not isinstance(spec, dict) or not _COLUMN_KEYS_REQUIRED <= spec.keys():
            raise fail(f"each column needs {sorted(_COLUMN_KEYS_REQUIRED)}: {spec!r}")
        col_name = spec["name"]
        if not isinstance(col_name, str) or not _IDENTIFIER.fullmatch(col_name):
            raise fail(f"column name {col_name!r} must be lowercase letters, digits and '_', starting with a letter")
        extra = spec.keys() - _COLUMN_KEYS_REQUIRED - _COLUMN_KEYS_OPTIONAL
        if extra:
            raise fail(f"unknown column keys {sorted(extra)}", col_name)
        if spec["type"] not in COLUMN_TYPES:
            raise fail(f"type {spec['type']!r} is not one of {COLUMN_TYPES}", col_name)
        check_text(spec["description"], "description", col_name)
        check_text(spec.get("unit"), "unit", col_name)
        enum, labels = spec.get("enum"), None
        if isinstance(enum, dict):  # a labelled enum: value -> the label pages show
            labels = dict(enum)
            for value, label in labels.items():
                if not isinstance(label, str) or not label.strip():
                    raise fail(f"the label of enum value {value!r} must be non-empty text", col_name)
                check_text(label, f"label of enum value {value!r}", col_name)
            if len(set(labels.values())) != len(labels):
                raise fail("two enum values have the same label", col_name)
            enum = list(labels)
        elif enum is not None and not isinstance(enum, list):
            raise fail("'enum' is a list of values or a mapping of value to label", col_name)
        for value in enum or ():
            check_text(value, "enum value", col_name)
            _check_declared_value(value, spec["type"], "enum value", lambda m, c=col_name: fail(m, c))
        for bound in ("minimum", "maximum"):
            if spec.get(bound) is not None:
                _check_declared_value(spec[bound], spec["type"], bound, lambda m, c=col_name: fail(m, c))
        for key in ("pattern", "unit"):
            if key in spec and spec[key] is not None and (not isinstance(spec[key], str) or not spec[key].strip()):
                raise fail(f"'{key}' must be non-empty text", col_name)
        if spec.get("markup") is not None and (spec["type"] != "string" or spec["markup"] not in MARKUP_OPTIONS):
            raise fail(f"'markup' is one of {list(MARKUP_OPTIONS)}, on a string column", col_name)
        if spec.get("pattern") is not None:
            try:
                _pattern(spec["pattern"])
            except (re.error, TypeError) as err:
                raise fail(f"pattern {spec['pattern']!r} is not a regular expression: {err}", col_name) from None
        if spec["type"] in ("integer", "number") and not spec.get("unit"):
            raise fail("a numeric column must state its unit", col_name)
        if spec.get("source_keys") and spec["type"] != "string":
            raise fail("a source-key column is of type string", col_name)
        if spec.get("row_refs") and spec["type"] != "string":
            raise fail("a row-reference column is of type string", col_name)
        columns.append(
            Column(
                name=col_name,
                type=spec["type"],
                description=spec["description"],
                unit=spec.get("unit"),
                required=bool(spec.get("required", False)),
                enum=tuple(enum) if enum is not None else None,
                minimum=spec.get("minimum"),
                maximum=spec.get("maximum"),
                pattern=spec.get("pattern"),
                source_keys=bool(spec.get("source_keys", False)),
                row_refs=bool(spec.get("row_refs", False)),
                markup=spec.get("markup"),
                labels=labels,
            )
        )
    names = [c.name for c in columns]
    if not names or len(set(names)) != len(names):
        raise fail("columns must be listed, each name once")
    if raw.get("min_rows") is not None and (
        isinstance(raw["min_rows"], bool) or not isinstance(raw["min_rows"], int) or raw["min_rows"] < 1
    ):
        raise fail(f"'min_rows' must be a whole number of rows, found {raw['min_rows']!r}")
    if raw.get("builder") is not None and (not isinstance(raw["builder"], str) or not raw["builder"].strip()):
        raise fail("'builder' must name a script (builders/<name>.py) or be null")
    primary_key = tuple(raw["primary_key"] or ())
    if not primary_key or not set(primary_key) <= set(names):
        raise fail(f"primary_key {list(primary_key)} must name declared columns")
    sort_by = _sort_spec(raw.get("sort_by", list(primary_key)), {c.name: c for c in columns}, fail)
    coverage = raw.get("coverage")
    if coverage is not None:
        if not isinstance(coverage, dict) or set(coverage) != {"start", "end"}:
            raise fail("'coverage' is a mapping with exactly 'start' and 'end' (column names)")
        by_name = {c.name: c for c in columns}
        for bound in ("start", "end"):
            column = by_name.get(coverage[bound])
            if column is None or column.type not in _COVERAGE_TYPES:
                raise fail(
                    f"coverage {bound} {coverage[bound]!r} must name a declared column of type "
                    f"{' or '.join(_COVERAGE_TYPES)}"
                )
        coverage = (coverage["start"], coverage["end"])
    return Manifest(
        name=name,
        title=raw["title"],
        description=raw["description"].strip(),
        path=Path(data_dir) / raw["path"],
        sha256=raw["sha256"],
        producer=raw["producer"],
        licence=licence,
        credit=" ".join(raw["credit"].split()),
        primary_key=primary_key,
        columns=tuple(columns),
        manifest_path=manifest_path,
        third_party_terms=raw.get("third_party_terms"),
        builder=raw.get("builder"),
        min_rows=raw.get("min_rows"),
        coverage=coverage,
        sort_by=sort_by,
        raw=raw,
    )


def _sort_spec(spec: Any, columns: dict[str, Column], fail) -> tuple[tuple[str, bool], ...]:
    """``sort_by`` as (column, in enum order) pairs. An item is a column name (rows sorted by its typed value:
    numbers as numbers, text as text) or ``{column: NAME, order: enum}`` (rows in the order its enum lists)."""
    out = []
    for item in spec if isinstance(spec, list) else [None]:
        if isinstance(item, dict) and set(item) == {"column", "order"} and item["order"] == "enum":
            name, by_enum = item["column"], True
        else:
            name, by_enum = item, False
        if not isinstance(name, str) or name not in columns or (by_enum and columns[name].enum is None):
            raise fail(
                f"'sort_by' item {item!r} is not a declared column, nor {{column: NAME, order: enum}} "
                "naming a column with an enum"
            )
        out.append((name, by_enum))
    if not out or len({name for name, _ in out}) != len(out):
        raise fail(f"'sort_by' {spec!r} must list declared columns, each once")
    return tuple(out)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def refresh_manifest_sha256(table_path: Path, manifest_path: Path | None = None) -> str:
    """Write the table's current sha256 into its manifest (by default the .yml beside it); return the digest.

    Only the top-level ``sha256:`` line changes (whatever it held: a stale hash, ``0000…``, ``''``, ``TODO``), so
    the comments and layout of a hand-written manifest survive; a manifest without one gets it right after its
    ``path:`` line. The one place where builders and ``tasks.py rehash`` record an intended data change.
    """
    table_path = Path(table_path)
    manifest_path = Path(manifest_path) if manifest_path else table_path.with_suffix(".yml")
    if not manifest_path.is_file():
        raise FileNotFoundError(
            f"{manifest_path}: no manifest beside {table_path.name}; write one first "
            "(see README, 'Adding a data table')"
        )
    digest = file_sha256(table_path)
    # Bytes, not read_text: universal newlines would turn a CRLF manifest into LF, rewriting every line.
    text = manifest_path.read_bytes().decode("utf-8")

    def line_of(match: re.Match) -> int:
        return text.count("\n", 0, match.start()) + 1

    hash_lines = list(re.finditer(r"(?m)^sha256:[^\r\n]*", text))
    if len(hash_lines) > 1:
        raise ValueError(
            f"{manifest_path}: expected exactly one top-level 'sha256:' line, found {len(hash_lines)}, "
            f"on lines {', '.join(str(line_of(m)) for m in hash_lines)}; delete all but one"
        )
    if hash_lines:
        line = hash_lines[0]
        new_text = f"{text[: line.start()]}sha256: {digest}{text[line.end() :]}"
    else:
        # A path: line and the indented lines that continue its value, if any.
        path_lines = list(re.finditer(r"(?m)^path:[^\r\n]*(?:\r?\n[ \t]+[^\r\n]*)*", text))
        if len(path_lines) != 1:
            found = (
                f"{len(path_lines)} top-level 'path:' lines (lines {', '.join(str(line_of(m)) for m in path_lines)})"
                if path_lines
                else "no top-level 'path:' line"
            )
            raise ValueError(
                f"{manifest_path}: expected exactly one top-level 'sha256:' line, found none, and "
                f"{found} to add it after; add `sha256:` under `path:` by hand"
            )
        end = path_lines[0].end()
        newline = "\r\n" if text.startswith("\r\n", end) else "\n"
        new_text = f"{text[:end]}{newline}sha256: {digest}{text[end:]}"
    # Check the edit did what it meant to before writing it: e.g. a quoted "sha256": key elsewhere would win.
    try:
        written = yaml.safe_load(new_text)
    except yaml.YAMLError as err:
        raise ValueError(f"{manifest_path}: not valid YAML, so the hash was not written: {err}") from None
    if not isinstance(written, dict) or written.get("sha256") != digest:
        raise ValueError(
            f"{manifest_path}: wrote 'sha256: {digest}' but YAML would then read sha256 as "
            f"{written.get('sha256') if isinstance(written, dict) else None!r}, so nothing was "
            "written; is the key also written quoted, or does its value run on to the next line?"
        )
    if new_text != text:
        atomic_write_text(manifest_path, new_text)
    return digest


def _csv_cell(value) -> str:
    """The data contract's cell text for a value of any type: empty for missing, true/false, numbers plainly."""
    if _is_missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        return _number_text(float(value))
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _is_missing(value) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, (float, np.floating)) and np.isnan(value))
    )


def _number_text(value: float) -> str:
    # The shortest decimal that reads back as the same float, never in exponent form: 0.1, 2.5, 1200, 0.000001.
    # Rounding is the builder's explicit step, not the writer's.
    text = np.format_float_positional(value, trim="-")
    return "0" if text == "-0" else text


# --------------------------------------------------------------------------------------- writing a table ----


@dataclass(frozen=True)
class WriteResult:
    """What :func:`write` did, or in a check would do, to ``data/<name>.csv``."""

    name: str
    path: Path
    rows: int
    sha256: str
    changed: bool  # the text differs from the file on disk (or there is no file yet)
    written: bool  # False for a check (``check=True``), or when nothing changed
    added: tuple[str, ...] = ()  # data lines in the new text and not in the file (a check's summary)
    removed: tuple[str, ...] = ()  # data lines in the file and not in the new text


def format_cell(column: Column, value: Any) -> str:
    """``value`` as the text of a cell of ``column``, by the column's declared type; ``TypeError`` saying why not.

    The one formatter of the data contract: strings as they are; integers in plain digits (an integral float,
    as pandas stores an integer column with gaps, counts as an integer); numbers as the shortest plain decimal
    that reads back as the same float; dates as YYYY-MM-DD; booleans as true/false; missing values empty.
    A value of another type is an error, never converted: a builder hands typed values, not text.
    """
    if _is_missing(value) or (column.type != "string" and isinstance(value, str) and value == ""):
        return ""
    kind = column.type
    if kind == "string":
        if isinstance(value, str):
            return value
    elif kind == "boolean":
        if isinstance(value, (bool, np.bool_)):
            return "true" if value else "false"
    elif isinstance(value, (bool, np.bool_)):
        pass  # True is an int to Python, never a count or a figure here
    elif kind == "integer":
        if isinstance(value, (int, np.integer)):
            return str(int(value))
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return str(int(value))
    elif kind == "number":
        if isinstance(value, (int, np.integer)):
            return str(int(value))
        if isinstance(value, (float, np.floating)) and np.isfinite(value):
            return _number_text(float(value))
    elif kind == "date":
        if isinstance(value, pd.Timestamp) and value == value.normalize():
            return value.strftime("%Y-%m-%d")
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()
    raise TypeError(f"{value!r} ({type(value).__name__}) is not a {kind} value")


def _row_sort_key(manifest: Manifest):
    """Sort key of a row of cell text by the manifest's ``sort_by``: numbers as numbers, dates and text as text
    (ISO dates sort as text), enum order where asked; an empty cell after every value."""
    by_name = {c.name: c for c in manifest.columns}
    parts = []
    for name, by_enum in manifest.sort_by:
        column = by_name[name]
        if by_enum:
            order = {str(v): i for i, v in enumerate(column.enum)}
            parts.append((name, lambda text, order=order: order.get(text, len(order))))
        elif column.type in ("integer", "number"):
            parts.append((name, float))
        else:
            parts.append((name, str))

    def key(cells: dict[str, str]) -> tuple:
        return tuple((cells[name] == "", convert(cells[name]) if cells[name] != "" else 0) for name, convert in parts)

    return key


def write(
    name: str, frame: pd.DataFrame, *, data_dir: Path = DATA_DIR, bibliography: Path = BIBLIOGRAPHY, check: bool = False
) -> WriteResult:
    """Write ``frame`` as table ``name`` through its manifest, or with ``check=True`` only compare it with the file.

    The manifest decides the column order, the row order (its ``sort_by``, else its primary key) and, by each
    column's type, how every cell is written (:func:`format_cell`). Before anything is written, the rows go
    through the same checks as :func:`load`: every cell, the primary key, the source keys, row references and
    the row-count floor. A breach raises :class:`DataValidationError` naming the file, the line the row would
    have, the column and the rule, and leaves the file as it was. The write is atomic and the manifest's
    sha256 is refreshed. An unchanged table is not rewritten.
    """
    manifest = read_manifest(name, data_dir)
    path = manifest.path
    given, expected = list(frame.columns), manifest.column_names
    missing = [c for c in expected if c not in given]
    extra = [c for c in given if c not in expected]
    if missing:
        raise DataValidationError(path, "missing-column", f"the frame to write lacks {missing}", column=missing[0])
    if extra:
        raise DataValidationError(
            path,
            "extra-column",
            f"the frame to write has {extra}, which {manifest.manifest_path.name} does not declare",
            column=extra[0],
        )
    texts = []
    for position, record in enumerate(frame[expected].itertuples(index=False, name=None)):
        cells = {}
        for column, value in zip(manifest.columns, record):
            try:
                cells[column.name] = format_cell(column, value)
            except TypeError as err:
                raise DataValidationError(
                    path,
                    f"type-{column.type}",
                    f"row {position} of the frame to write: cannot write {err}",
                    column=column.name,
                ) from None
        texts.append(cells)
    texts.sort(key=_row_sort_key(manifest))  # stable: rows equal on sort_by keep the frame's order
    rows = [(index + 2, cells) for index, cells in enumerate(texts)]  # the header is line 1
    if not rows:
        raise DataValidationError(path, "empty-file", "the frame to write has no rows")
    _check_rows(manifest, rows, data_dir, bibliography)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(expected)
    writer.writerows([cells[c] for c in expected] for _, cells in rows)
    text = buffer.getvalue()
    old = path.read_bytes().decode("utf-8", errors="replace") if path.is_file() else None
    changed = old != text
    added = removed = ()
    if changed:
        old_lines = old.splitlines()[1:] if old is not None else []
        new_lines = text.splitlines()[1:]
        old_set, new_set = set(old_lines), set(new_lines)
        added = tuple(line for line in new_lines if line not in old_set)
        removed = tuple(line for line in old_lines if line not in new_set)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if check or not changed:
        return WriteResult(name, path, len(rows), digest, changed, False, added, removed)
    atomic_write_text(path, text)
    refresh_manifest_sha256(path, manifest.manifest_path)
    return WriteResult(name, path, len(rows), digest, changed, True, added, removed)


def load(name: str, *, data_dir: Path = DATA_DIR, bibliography: Path = BIBLIOGRAPHY) -> pd.DataFrame:
    """Return table ``name`` as a typed DataFrame after checking it against its manifest.

    Column types: string -> pandas ``string``; integer -> ``Int64``; number -> ``float64``;
    date -> ``datetime64``; boolean -> ``boolean``. Empty optional cells become missing values.
    The manifest is attached as ``df.attrs["manifest"]``.
    """
    manifest = read_manifest(name, data_dir)
    text = _read_text(manifest)
    rows = _parse_rows(manifest, text)
    typed = _check_rows(manifest, rows, data_dir, bibliography)
    frame = pd.DataFrame({c.name: _to_series(c, [values[c.name] for _, values in typed]) for c in manifest.columns})
    frame.attrs["manifest"] = manifest
    return frame


def _check_rows(
    manifest: Manifest, rows: list[tuple[int, dict[str, str]]], data_dir: Path, bibliography: Path
) -> list[tuple[int, dict[str, Any]]]:
    """The checks :func:`load` and :func:`write` share, on rows of cell text; returns the typed rows."""
    typed = _check_cells(manifest, rows)
    _check_primary_key(manifest, typed)
    _check_source_keys(manifest, typed, bibliography)
    _check_row_refs(manifest, typed, data_dir, bibliography)
    if manifest.min_rows is not None and len(rows) < manifest.min_rows:
        raise DataValidationError(
            manifest.path, "min-rows", f"{len(rows)} data rows, fewer than the manifest's floor of {manifest.min_rows}"
        )
    return typed


def _read_text(manifest: Manifest) -> str:
    path = manifest.path
    if not path.is_file():
        raise DataValidationError(
            path, "file-missing", f"the manifest {manifest.manifest_path.name} names a missing file"
        )
    data = path.read_bytes()
    note_read(path, data)
    if not data.strip():
        raise DataValidationError(path, "empty-file", "the file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        column = _column_at(manifest, data, err.start)
        raise DataValidationError(
            path,
            "encoding-utf8",
            f"byte {data[err.start]:#04x} (offset {err.start}) is not valid UTF-8: save the "
            "file as UTF-8 (the table's text must be Unicode, not a legacy code page)",
            line=line,
            column=column,
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != manifest.sha256:
        raise DataValidationError(
            path,
            "sha256",
            f"file hash {digest[:12]}… does not match the manifest's {manifest.sha256[:12]}…; "
            "if the change is intended, run `python3 tasks.py rehash`",
        )
    if text.startswith("\ufeff"):
        raise DataValidationError(path, "encoding-utf8", "the file starts with a byte-order mark", line=1)
    return text


def _column_at(manifest: Manifest, data: bytes, offset: int) -> str | None:
    """The column of the cell that holds byte ``offset``, read from the fields before it on its line."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    prefix = data[line_start:offset].decode("utf-8", errors="replace")
    for attempt in (prefix + "x", prefix + 'x"'):  # the cell may be open inside quotes
        try:
            fields = next(csv.reader([attempt], strict=True))
        except (csv.Error, StopIteration):
            continue
        index = len(fields) - 1
        return manifest.column_names[index] if index < len(manifest.columns) else None
    return None


def _parse_rows(manifest: Manifest, text: str) -> list[tuple[int, dict[str, str]]]:
    """Split the CSV into (line number, {column: text}) pairs, checking the header and row widths."""
    path = manifest.path
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as err:
        raise DataValidationError(path, "header", f"cannot read a header row: {err}", line=1) from None
    expected = manifest.column_names
    for name in header:
        problem = hidden_character_problem(name)
        if problem:
            raise DataValidationError(path, "hidden-character", f"header name {name!r}: {problem}", line=1, column=name)
    repeated = [name for name in dict.fromkeys(header) if header.count(name) > 1]
    if repeated:
        name = repeated[0]
        fields = [str(i + 1) for i, h in enumerate(header) if h == name]
        raise DataValidationError(
            path,
            "duplicate-column",
            f"the header names {name!r} {len(fields)} times (fields {', '.join(fields)}); each column appears once",
            line=1,
            column=name,
        )
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    if missing:
        raise DataValidationError(
            path, "missing-column", f"the header lacks {missing} (found {header})", line=1, column=missing[0]
        )
    if extra:
        raise DataValidationError(
            path,
            "extra-column",
            f"the header has {extra}, which the manifest does not declare; declare them in "
            f"{manifest.manifest_path.name} or remove them",
            line=1,
            column=extra[0],
        )
    if header != expected:
        moved = [
            f"{name!r} is field {header.index(name) + 1}, expected {position + 1}"
            for position, name in enumerate(expected)
            if header[position] != name
        ]
        raise DataValidationError(
            path,
            "column-order",
            f"columns out of manifest order: {'; '.join(moved)}. Found {header}; expected {expected}",
            line=1,
            column=next(name for position, name in enumerate(expected) if header[position] != name),
        )
    rows = []
    line = reader.line_num
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            raise DataValidationError(path, "csv-syntax", str(err), line=start) from None
        line = reader.line_num
        if not cells:
            raise DataValidationError(path, "blank-line", "blank line inside the table", line=start)
        if len(cells) != len(expected):
            raise DataValidationError(path, "row-width", f"{len(cells)} fields, expected {len(expected)}", line=start)
        rows.append((start, dict(zip(expected, cells))))
    if not rows:
        raise DataValidationError(path, "empty-file", "the file has a header but no data rows")
    return rows


def _check_cells(manifest: Manifest, rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, Any]]]:
    typed = []
    key_like = {c.name for c in manifest.columns if c.is_key_like} | set(manifest.primary_key)
    for line, cells in rows:
        values = {}
        for column in manifest.columns:
            values[column.name] = _check_cell(
                manifest.path, line, column, cells[column.name], key=column.name in key_like
            )
        typed.append((line, values))
    return typed


@functools.cache
def _pattern(pattern: str) -> re.Pattern:
    # ASCII: a manifest's \d means 0-9, so 'E٠٤٨' does not pass for the key E048.
    return re.compile(pattern, re.ASCII)


def _check_cell(path: Path, line: int, column: Column, text: str, *, key: bool = False) -> Any:
    def fail(rule: str, message: str) -> DataValidationError:
        return DataValidationError(path, rule, message, line=line, column=column.name)

    hidden = hidden_character_problem(text, key=key)
    if hidden:
        raise fail("hidden-character", f"{text!r} holds {hidden}")
    if column.type != "string":
        digit = non_ascii_digit_problem(text)
        if digit:
            raise fail("ascii-digits", digit)
    if text != text.strip():
        raise fail("whitespace", f"{text!r} has leading or trailing white space")
    if text == "":
        if column.required:
            raise fail("required", "the cell is empty but the column is required")
        return None
    value: Any
    if column.type == "string":
        problem = markup_problem(text, column.markup)
        if problem:
            raise fail("markup", f"the text holds {problem}")
        value = text
    elif column.type == "integer":
        if not _INTEGER.fullmatch(text):
            raise fail(
                "type-integer",
                f"{text!r} is not a whole number written plainly (no leading zeros, "
                "signs or separators)" + _separator_hint(text),
            )
        value = int(text)
    elif column.type == "number":
        if not _NUMBER.fullmatch(text):
            raise fail(
                "type-number",
                f"{text!r} is not a plain decimal number (no separators, ranges or units)" + _separator_hint(text),
            )
        value = float(text)
    elif column.type == "date":
        try:
            if not _DATE.fullmatch(text):
                raise ValueError
            value = dt.date.fromisoformat(text)
        except ValueError:
            raise fail("type-date", f"{text!r} is not a date in YYYY-MM-DD form") from None
    else:  # boolean
        if text not in _BOOLEAN:
            raise fail("type-boolean", f"{text!r} is not 'true' or 'false'")
        value = _BOOLEAN[text]
    if column.enum is not None and value not in column.enum:
        raise fail("enum", f"{text!r} is not one of {list(column.enum)}")
    if column.pattern is not None and not _pattern(column.pattern).fullmatch(text):
        raise fail("pattern", f"{text!r} does not match {column.pattern!r}")
    bound = _bound_value(column)
    if column.minimum is not None and value < bound(column.minimum):
        raise fail("minimum", f"{text} is below the minimum {column.minimum}")
    if column.maximum is not None and value > bound(column.maximum):
        raise fail("maximum", f"{text} is above the maximum {column.maximum}")
    return value


def _check_declared_value(value: Any, column_type: str, what: str, fail) -> None:
    """An enum value or bound in a manifest must be of the column's own type, or it could never match a cell."""
    expected = {
        "string": (str,),
        "integer": (int,),
        "number": (int, float),
        "date": (str, dt.date),
        "boolean": (bool,),
    }[column_type]
    ok = isinstance(value, expected) and (column_type == "boolean" or not isinstance(value, bool))
    if column_type == "string" and isinstance(value, str) and not value.strip():
        raise fail(f"{what} {value!r} is blank")
    if column_type == "date" and isinstance(value, str):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            ok = False
    if not ok:
        hint = (
            " (YAML reads unquoted yes/no/true/false/on/off as booleans and bare digits as numbers: quote the value)"
            if column_type == "string"
            else ""
        )
        raise fail(f"{what} {value!r} is not of the column's type {column_type}{hint}")


def _separator_hint(text: str) -> str:
    match = _THOUSANDS.fullmatch(text)
    if not match:
        return ""
    plain = text.replace(match.group(1), "")
    return f": {match.group(1)!r} is a thousands separator; write {plain}"


def _bound_value(column: Column):
    if column.type == "date":
        return lambda b: b if isinstance(b, dt.date) else dt.date.fromisoformat(str(b))
    return lambda b: b


def _check_primary_key(manifest: Manifest, typed: list[tuple[int, dict[str, Any]]]) -> None:
    seen: dict[tuple, int] = {}
    for line, values in typed:
        key = tuple(values[c] for c in manifest.primary_key)
        if any(part is None for part in key):
            raise DataValidationError(
                manifest.path,
                "primary-key-empty",
                "a primary-key cell is empty",
                line=line,
                column=manifest.primary_key[key.index(None)],
            )
        if key in seen:
            raise DataValidationError(
                manifest.path,
                "primary-key-unique",
                f"key {dict(zip(manifest.primary_key, key))} repeats line {seen[key]}",
                line=line,
                column=manifest.primary_key[0],
            )
        seen[key] = line


def _check_source_keys(manifest: Manifest, typed: list[tuple[int, dict[str, Any]]], bibliography: Path) -> None:
    source_columns = [c for c in manifest.columns if c.source_keys]
    if not source_columns:
        return
    entries = read_bibliography(bibliography)
    for line, values in typed:
        for column in source_columns:
            for key in split_source_keys(values[column.name]):
                if key not in entries:
                    raise DataValidationError(
                        manifest.path,
                        "source-key",
                        f"source key {key!r} has no entry in {Path(bibliography).name}",
                        line=line,
                        column=column.name,
                    )


def split_source_keys(cell: str | None) -> list[str]:
    """The bibliography keys in a source cell ('a;b' -> ['a', 'b'])."""
    if not cell:
        return []
    return [part.strip() for part in cell.split(SOURCE_SEPARATOR)]


def _to_series(column: Column, values: list[Any]) -> pd.Series:
    if column.type == "string":
        return pd.Series(values, dtype="string")
    if column.type == "integer":
        return pd.Series(values, dtype="Int64")
    if column.type == "number":
        return pd.Series([float("nan") if v is None else v for v in values], dtype="float64")
    if column.type == "date":
        return pd.to_datetime(pd.Series([pd.NaT if v is None else pd.Timestamp(v) for v in values]))
    return pd.Series(values, dtype="boolean")


# Row references: a cell of a ``row_refs`` column points at rows of other tables, so that a verdict names the
# rows that hold its evidence. ``events:E048`` names a row of a table with a one-column key;
# ``trade_bilateral[reporter=russia_customs,period_label=2023]`` names the rows whose cells read so (at least
# one must). References are separated by ';'.
_ROW_REF = re.compile(r"(?P<table>[a-z][a-z0-9_]*)(?::(?P<key>[^\s;:\[\]]+)|\[(?P<selector>[^\[\];]+)\])")
_SELECTOR_PART = re.compile(r"(?P<column>[a-z][a-z0-9_]*)=(?P<value>[^,=\[\];]+)")


@dataclass(frozen=True)
class RowRef:
    """One reference to rows of a book table: the table and the cell text each named column must have."""

    table: str
    where: tuple[tuple[str, str], ...]
    text: str
    by_key: bool  # written as table:KEY (must match exactly one row)


def parse_row_refs(cell: str | None) -> list[RowRef]:
    """The references in a row-reference cell; ``ValueError`` (saying which part) if one is malformed."""
    if cell is None or pd.isna(cell) or not cell:
        return []
    refs = []
    for part in cell.split(SOURCE_SEPARATOR):
        part = part.strip()
        match = _ROW_REF.fullmatch(part)
        if not match:
            raise ValueError(f"{part!r} is neither 'table:KEY' nor 'table[column=value,...]'")
        if match["key"] is not None:
            refs.append(RowRef(match["table"], (("", match["key"]),), part, True))
            continue
        pieces = match["selector"].split(",")
        where = []
        for piece in pieces:
            sel = _SELECTOR_PART.fullmatch(piece.strip())
            if not sel:
                raise ValueError(f"{part!r}: {piece!r} is not 'column=value'")
            where.append((sel["column"], sel["value"].strip()))
        refs.append(RowRef(match["table"], tuple(where), part, False))
    return refs


def cell_text(series: pd.Series) -> pd.Series:
    """A loaded column written back as the data contract's cell text (dates YYYY-MM-DD, true/false, 2024 not 2024.0)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.dt.strftime("%Y-%m-%d").fillna("")
    return series.astype(object).map(_csv_cell)


def cell_texts(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Every column of ``frame`` as :func:`cell_text` writes it, as lists: one conversion of the whole frame, for
    the many small frames (a reference's rows) where pandas' per-column overhead is most of the cost."""
    rows = frame.to_numpy(dtype=object)
    return {column: [_csv_cell(value) for value in rows[:, i]] for i, column in enumerate(frame.columns)}


def _ref_where(manifest: Manifest, ref: RowRef) -> tuple[tuple[str, str], ...]:
    """The (column, cell text) pairs ``ref`` asks of a row: ``table:KEY`` is a condition on the one-column key."""
    if not ref.by_key:
        return ref.where
    if len(manifest.primary_key) != 1:
        raise KeyError(
            f"table {ref.table} has the composite key {list(manifest.primary_key)}; write "
            f"{ref.table}[{'=…,'.join(manifest.primary_key)}=…]"
        )
    return ((manifest.primary_key[0], ref.where[0][1]),)


class RowFinder:
    """Finds the rows of one loaded table that references name, by dictionary lookup: each compared column is
    written back as cell text once, and each set of compared columns is indexed once (tables of hundreds of
    references would otherwise scan the referenced table, through pandas, for every one of them)."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._texts: dict[str, list[str]] = {}
        self._rows: dict[tuple[str, ...], dict[tuple[str, ...], list[int]]] = {}

    def texts(self, column: str) -> list[str]:
        """The column's cells as the data contract writes them, in row order."""
        if column not in self._texts:
            self._texts[column] = cell_text(self.frame[column]).tolist()
        return self._texts[column]

    def positions(self, ref: RowRef) -> list[int]:
        """The row positions ``ref`` names, in table order (``KeyError`` naming the column if there is no such)."""
        where = _ref_where(self.frame.attrs["manifest"], ref)
        columns = tuple(column for column, _ in where)
        rows = self._rows.get(columns)
        if rows is None:
            for column in columns:
                if column not in self.frame.columns:
                    raise KeyError(f"table {ref.table} has no column {column!r}")
            rows = self._rows[columns] = {}
            for position, values in enumerate(zip(*(self.texts(c) for c in columns))):
                rows.setdefault(values, []).append(position)
        return rows.get(tuple(value for _, value in where), [])

    def select(self, ref: RowRef) -> pd.DataFrame:
        """The rows ``ref`` names, as :func:`select_rows` gives them."""
        return self.frame.iloc[self.positions(ref)]


def select_rows(frame: pd.DataFrame, ref: RowRef) -> pd.DataFrame:
    """The rows of a loaded table that ``ref`` names (``KeyError`` naming the column if it has no such column).
    For many references into one table, a :class:`RowFinder` answers each by a lookup."""
    where = _ref_where(frame.attrs["manifest"], ref)
    mask = pd.Series(True, index=frame.index)
    for column, value in where:
        if column not in frame.columns:
            raise KeyError(f"table {ref.table} has no column {column!r}")
        mask &= cell_text(frame[column]) == value
    return frame[mask]


def _check_row_refs(
    manifest: Manifest, typed: list[tuple[int, dict[str, Any]]], data_dir: Path, bibliography: Path
) -> None:
    ref_columns = [c for c in manifest.columns if c.row_refs]
    if not ref_columns:
        return
    # The referenced tables are read only for the cells the references compare: a notebook that loads this
    # table depends on those columns of theirs, not on every cell (so editing a note elsewhere in a referenced
    # table leaves it current).
    with unrecorded():
        known = set(table_names(data_dir))
    finders: dict[str, RowFinder] = {}  # the claims table holds hundreds of references: each is one lookup
    compared: dict[str, set[str]] = {}
    for line, values in typed:
        row_key = ", ".join(f"{c}={values[c]}" for c in manifest.primary_key)
        for column in ref_columns:

            def fail(rule: str, message: str, row_key=row_key, line=line, column=column) -> DataValidationError:
                return DataValidationError(
                    manifest.path, rule, f"row {row_key}: {message}", line=line, column=column.name
                )

            try:
                refs = parse_row_refs(values[column.name])
            except ValueError as err:
                raise fail("row-ref-syntax", str(err)) from None
            for ref in refs:
                if ref.table not in known:
                    raise fail(
                        "row-ref-table",
                        f"reference {ref.text!r} names table {ref.table!r}, which has no "
                        f"manifest in {Path(data_dir).name}/",
                    )
                if ref.table not in finders:
                    # Evidence is a fact table's row; a table of references pointing at another (or at
                    # itself) could loop, so it is refused.
                    with unrecorded():
                        referenced = read_manifest(ref.table, data_dir)
                    if any(c.row_refs for c in referenced.columns):
                        raise fail(
                            "row-ref-table",
                            f"reference {ref.text!r} points at {ref.table}, a table of "
                            "references; point at the fact rows themselves",
                        )
                    with unrecorded():
                        finders[ref.table] = RowFinder(load(ref.table, data_dir=data_dir, bibliography=bibliography))
                key = finders[ref.table].frame.attrs["manifest"].primary_key
                compared.setdefault(ref.table, set()).update(key if ref.by_key else (c for c, _ in ref.where))
                try:
                    found = bool(finders[ref.table].positions(ref))
                except KeyError as err:
                    raise fail("row-ref-column", f"reference {ref.text!r}: {err.args[0]}") from None
                if not found:
                    raise fail("row-ref-missing", f"reference {ref.text!r}: table {ref.table} has no such row")
    for name, columns in compared.items():
        note_columns(finders[name].frame.attrs["manifest"].path, sorted(columns))
