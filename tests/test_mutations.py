"""Mutation test: every book table, damaged in every way its manifest allows, is refused with the right rule.

For each table in data/, the test writes a short copy (header and first three rows, rehashed so the damage
is the only fault) into a temporary copy of data/ and applies one mutant at a time: a damaged header or
file, or one damaged cell in the second data row (line 3), for every column and every kind of damage the
column's type and rules admit. Each mutant must be refused by ``load`` with a DataValidationError naming the
file, the line, the column and the expected rule. A mutant that loads, or is refused for another reason, is
a hole in the loader.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from iranrussia.data import Column, DataValidationError, Manifest, load, read_manifest, table_names
from iranrussia.paths import BIBLIOGRAPHY, DATA_DIR

ROWS_KEPT = 3
LINE = 3  # the damaged cell is in the second data row

# Kinds of damage every cell admits, whatever its type (text appended or inserted; expected rule).
ANY_CELL = {
    "leading-space": (lambda v: " " + v, "whitespace"),
    "trailing-space": (lambda v: v + " ", "whitespace"),
    "zero-width-space": (lambda v: v + "\u200b", "hidden-character"),
    "bidi-override": (lambda v: "\u202e" + v, "hidden-character"),
    "bidi-isolate": (lambda v: v + "\u2066", "hidden-character"),
    "c0-control": (lambda v: v + "\x07", "hidden-character"),
    "c1-control": (lambda v: v + "\x85", "hidden-character"),
    "tab": (lambda v: v + "\t", "hidden-character"),
    "line-break": (lambda v: v + "\nmore", "hidden-character"),
    "byte-order-mark": (lambda v: v + "\ufeff", "hidden-character"),
    "soft-hyphen": (lambda v: v[:1] + "\u00ad" + v[1:], "hidden-character"),
}
MARKUP = {
    "markup-script": "<script>window.__pwned=1</script>",
    "markup-img-onerror": '<img src=x onerror="window.__pwned=1">',
    "markup-entity": "&lt;script&gt;window.__pwned=1&lt;/script&gt;",
    "markup-javascript-link": "[click](javascript:window.__pwned=1)",
    "markup-link": "[click](https://example.org)",
    "markup-image": "![x](https://example.org/x.png)",
    "markup-myst-role": "{raw}`html <b>x</b>`",
    "markup-myst-role-odd-name": "{:ref}`target`",
    "markup-directive": "```{raw} html",
    "markup-colon-fence": ":::{warning}",
    "markup-substitution": "{{ title }}",
}
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
# Classes the suite must exercise somewhere (the loader's 24 classes of the earlier mutation run, and more).
REQUIRED_CLASSES = {
    *ANY_CELL,
    *MARKUP,
    "nbsp-in-key",
    "required-empty",
    "integer-word",
    "integer-decimal",
    "integer-leading-zero",
    "integer-thousands",
    "number-unit",
    "number-range",
    "number-thousands",
    "number-exponent",
    "number-nan",
    "unicode-digits",
    "date-format",
    "date-impossible",
    "boolean-word",
    "boolean-case",
    "enum-value",
    "pattern",
    "minimum",
    "maximum",
    "source-key-unknown",
    "source-key-second-unknown",
    "row-ref-syntax",
    "row-ref-table",
    "row-ref-missing",
    "row-ref-column",
    "primary-key-duplicate",
    "header-missing-column",
    "header-extra-column",
    "header-duplicate-column",
    "header-order",
    "row-too-short",
    "row-too-long",
    "blank-line",
    "unterminated-quote",
    "byte-order-mark-file",
    "not-utf8",
    "empty-file",
    "header-only",
    "sha256-stale",
}


@dataclass(frozen=True)
class Mutant:
    kind: str
    text: str | bytes  # the whole damaged file
    rule: str
    line: int | None
    column: str | None
    rehash: bool = True


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def short_rows(manifest: Manifest) -> tuple[list[str], list[list[str]]]:
    with open(manifest.path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [row for _, row in zip(range(ROWS_KEPT), reader)]
    assert len(rows) >= 2, f"{manifest.name}: the mutation test needs two data rows"
    return header, rows


def below(column: Column, bound) -> str:
    if column.type == "date":
        return (dt.date.fromisoformat(str(bound)) - dt.timedelta(days=1)).isoformat()
    return str(int(bound) - 1) if column.type == "integer" else str(bound - 1)


def above(column: Column, bound) -> str:
    if column.type == "date":
        return (dt.date.fromisoformat(str(bound)) + dt.timedelta(days=1)).isoformat()
    return str(int(bound) + 1) if column.type == "integer" else str(bound + 1)


# Malformed cells of each type, each refused by its type's rule (type-integer, type-number, ...).
BAD_OF_TYPE = {
    "integer": {
        "integer-word": "three",
        "integer-decimal": "1.5",
        "integer-thousands": "3,000",
        "integer-leading-zero": "007",
    },
    "number": {
        "number-unit": "1.2bn",
        "number-range": "100-200",
        "number-thousands": "1,200",
        "number-exponent": "1e3",
        "number-nan": "NaN",
    },
    "date": {"date-format": "19/07/2022", "date-impossible": "2022-02-30"},
    "boolean": {"boolean-word": "yes", "boolean-case": "True"},
}


def cell_mutants(manifest: Manifest, column: Column, value: str) -> dict[str, tuple[str, str]]:
    """Kind -> (damaged cell text, expected rule) for one column, from the kinds its type and rules admit."""
    out = {kind: (change(value), rule) for kind, (change, rule) in ANY_CELL.items()}
    key_like = column.is_key_like or column.name in manifest.primary_key
    if key_like:
        out["nbsp-in-key"] = ((value or "x") + "\u00a0", "hidden-character")
    if column.required:
        out["required-empty"] = ("", "required")
    if column.type == "string":
        out.update({kind: (payload, "markup") for kind, payload in MARKUP.items()})
    for kind, text in BAD_OF_TYPE.get(column.type, {}).items():
        out[kind] = (text, f"type-{column.type}")
    if column.type == "date":
        out["unicode-digits"] = ((value or "2022-07-19").translate(ARABIC), "ascii-digits")
    elif column.type != "string":  # a cell's own digits made Arabic-Indic, or one such digit
        digits = column.type != "boolean" and re.search(r"[0-9]", value)
        out["unicode-digits"] = (value.translate(ARABIC) if digits else "١", "ascii-digits")
    if column.enum is not None:
        out["enum-value"] = ("zz_not_a_value" if column.type == "string" else "999999", "enum")
    if column.pattern is not None:
        wrong = next(t for t in (value + "x", "!", "x", "a;b") if not re.fullmatch(column.pattern, t, re.ASCII))
        out["pattern"] = (wrong, "pattern")
    if column.minimum is not None and column.enum is None:
        out["minimum"] = (below(column, column.minimum), "minimum")
    if column.maximum is not None and column.enum is None:
        out["maximum"] = (above(column, column.maximum), "maximum")
    if column.source_keys:
        first = value.split(";")[0] if value else "agency-2099-none"
        out["source-key-unknown"] = ("no-such-source-1999", "source-key")
        second = f"{first};no-such-source-1999"
        one_key_only = column.pattern is not None and not re.fullmatch(column.pattern, second, re.ASCII)
        out["source-key-second-unknown"] = (second, "pattern" if one_key_only else "source-key")
    if column.row_refs:
        out.update(
            {
                "row-ref-syntax": ("events E001", "row-ref-syntax"),
                "row-ref-table": ("no_such_table:X1", "row-ref-table"),
                "row-ref-missing": ("events:E999", "row-ref-missing"),
                "row-ref-column": ("events[no_such_column=1]", "row-ref-column"),
            }
        )
    return out


def mutants(manifest: Manifest) -> list[Mutant]:
    header, rows = short_rows(manifest)
    names = manifest.column_names
    out = []
    for index, column in enumerate(manifest.columns):
        for kind, (text, rule) in cell_mutants(manifest, column, rows[1][index]).items():
            damaged = [list(r) for r in rows]
            damaged[1][index] = text
            out.append(Mutant(kind, csv_text(header, damaged), rule, LINE, column.name))
    # The primary key: the second row takes the first row's key.
    damaged = [list(r) for r in rows]
    for name in manifest.primary_key:
        damaged[1][names.index(name)] = rows[0][names.index(name)]
    out.append(
        Mutant("primary-key-duplicate", csv_text(header, damaged), "primary-key-unique", LINE, manifest.primary_key[0])
    )
    # The header and the file.
    last, first = names[-1], names[0]
    good = csv_text(header, rows)
    swapped = [1, 0] + list(range(2, len(names)))
    out += [
        Mutant("header-missing-column", csv_text(header[:-1], [r[:-1] for r in rows]), "missing-column", 1, last),
        Mutant(
            "header-extra-column",
            csv_text(header + ["comment"], [r + ["x"] for r in rows]),
            "extra-column",
            1,
            "comment",
        ),
        Mutant(
            "header-duplicate-column", csv_text([first] + header[1:-1] + [first], rows), "duplicate-column", 1, first
        ),
        Mutant(
            "header-order",
            csv_text([header[i] for i in swapped], [[r[i] for i in swapped] for r in rows]),
            "column-order",
            1,
            first,
        ),
        Mutant("row-too-short", csv_text(header, [rows[0], rows[1][:-1]] + rows[2:]), "row-width", LINE, None),
        Mutant("row-too-long", csv_text(header, [rows[0], rows[1] + ["x"]] + rows[2:]), "row-width", LINE, None),
        Mutant("blank-line", good.replace("\n", "\n\n", 2).replace("\n\n", "\n", 1), "blank-line", LINE, None),
        Mutant(
            "unterminated-quote", csv_text(header, rows[:1]) + '"' + ",".join(rows[1]) + "\n", "csv-syntax", LINE, None
        ),
        Mutant("byte-order-mark-file", "\ufeff" + good, "encoding-utf8", 1, None),
        Mutant(
            "not-utf8",
            csv_text(header, rows[:1]).encode() + b"\xe9" + csv_text(header, rows[1:]).split("\n", 1)[1].encode(),
            "encoding-utf8",
            LINE,
            first,
        ),
        Mutant("empty-file", b"", "empty-file", None, None),
        Mutant("header-only", csv_text(header, []), "empty-file", None, None),
        Mutant("sha256-stale", good.replace(",", ", ", 1), "sha256", None, None, rehash=False),
    ]
    return out


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("mutations")
    shutil.copytree(DATA_DIR, root / "data")
    shutil.copy(BIBLIOGRAPHY, root / "references.bib")
    return root


def install(
    workspace: Path, manifest: Manifest, body: str | bytes, *, rehash: bool = True, sha_of: bytes | None = None
) -> None:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    data_dir = workspace / "data"
    (data_dir / manifest.path.name).write_bytes(raw)
    digest = hashlib.sha256(sha_of if sha_of is not None else raw).hexdigest()
    yml = data_dir / manifest.manifest_path.name
    text = manifest.manifest_path.read_text(encoding="utf-8")
    if rehash or sha_of is not None:
        text = re.sub(r"(?m)^sha256:.*$", f"sha256: {digest}", text)
    yml.write_text(text, encoding="utf-8")


def refusal(workspace: Path, name: str) -> DataValidationError | None:
    try:
        load(name, data_dir=workspace / "data", bibliography=workspace / "references.bib")
    except DataValidationError as err:
        return err
    return None


@pytest.mark.parametrize("name", table_names(DATA_DIR))
def test_every_mutant_of_the_table_is_refused_with_file_line_column_and_rule(workspace, name):
    manifest = read_manifest(name, DATA_DIR)
    original = manifest.path.read_bytes()
    header, rows = short_rows(manifest)
    problems, kinds = [], Counter()
    try:
        install(workspace, manifest, csv_text(header, rows))
        baseline = refusal(workspace, name)
        assert baseline is None or baseline.rule == "min-rows", f"the short copy itself is refused: {baseline}"
        for mutant in mutants(manifest):
            kinds[mutant.kind] += 1
            good = csv_text(header, rows).encode()
            install(workspace, manifest, mutant.text, rehash=mutant.rehash, sha_of=None if mutant.rehash else good)
            error = refusal(workspace, name)
            where = f"{mutant.kind} ({mutant.column or 'file'})"
            if error is None:
                problems.append(f"{where}: loaded without error")
                continue
            got = (error.rule, error.line, error.column)
            if got != (mutant.rule, mutant.line, mutant.column):
                problems.append(f"{where}: expected {(mutant.rule, mutant.line, mutant.column)}, got {got}: {error}")
                continue
            message = str(error)
            expected_parts = [manifest.path.name, f"rule '{mutant.rule}'"]
            expected_parts += [f"line {mutant.line}"] if mutant.line else []
            expected_parts += [f"column '{mutant.column}'"] if mutant.column else []
            missing = [part for part in expected_parts if part not in message]
            if missing:
                problems.append(f"{where}: message lacks {missing}: {message}")
    finally:
        (workspace / "data" / manifest.path.name).write_bytes(original)
        shutil.copy(manifest.manifest_path, workspace / "data" / manifest.manifest_path.name)
    assert not problems, f"{len(problems)} of {sum(kinds.values())} mutants of {name}:\n" + "\n".join(problems)
    assert sum(kinds.values()) >= 11 * len(manifest.columns), kinds  # every column got every universal class


def test_the_mutants_cover_every_required_class():
    covered = {m.kind for name in table_names(DATA_DIR) for m in mutants(read_manifest(name, DATA_DIR))}
    assert REQUIRED_CLASSES - covered == set()
