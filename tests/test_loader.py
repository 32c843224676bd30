"""The loader on small tables written here: good input comes back typed; each kind of bad input is refused
with an error naming the file, the line, the column and the rule."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

from iranrussia.data import (
    Column,
    DataValidationError,
    format_cell,
    load,
    read_manifest,
    refresh_manifest_sha256,
    write,
)

BIB = textwrap.dedent("""\
    @misc{agency-2024-report,
      author = {{News Agency}},
      title = {A report},
      howpublished = {News Agency},
      year = {2024},
      url = {https://example.org/report},
      urldate = {2026-11-01},
    }
    @misc{office-2023-statistics,
      author = {{Statistics Office}},
      title = {Annual statistics},
      howpublished = {Statistics Office},
      year = {2023},
      url = {https://example.org/stats},
      urldate = {2026-11-01},
    }
    """)

COLUMNS = [
    {"name": "row_id", "type": "string", "description": "Identifier.", "required": True, "pattern": r"R\d{2}"},
    {"name": "date", "type": "date", "description": "When.", "required": True, "minimum": "1991-01-01"},
    {
        "name": "flow",
        "type": "string",
        "description": "Direction.",
        "required": True,
        "enum": ["russia_to_iran", "iran_to_russia"],
    },
    {"name": "count", "type": "integer", "description": "How many.", "unit": "items", "minimum": 0},
    {
        "name": "value_musd",
        "type": "number",
        "description": "Value.",
        "unit": "current US$ millions",
        "minimum": 0,
        "maximum": 100000,
    },
    {"name": "confirmed", "type": "boolean", "description": "Confirmed by a second source."},
    {"name": "source", "type": "string", "description": "Bib keys.", "required": True, "source_keys": True},
]
HEADER = "row_id,date,flow,count,value_musd,confirmed,source"
GOOD_ROWS = [
    "R01,2022-07-19,russia_to_iran,3,1200.5,true,agency-2024-report",
    "R02,2023-03-21,iran_to_russia,,800,false,agency-2024-report;office-2023-statistics",
]


def manifest_of(
    name: str, sha256: str, primary_key: list[str], columns: list[dict], *, title: str, description: str
) -> dict:
    """A valid manifest for data/<name>.csv."""
    return {
        "name": name,
        "title": title,
        "description": description,
        "path": f"{name}.csv",
        "sha256": sha256,
        "producer": "Tests",
        "licence": {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
        "credit": "Test data.",
        "primary_key": primary_key,
        "columns": columns,
    }


def write_table(tmp_path: Path, body: str | bytes, *, sha256: str | None = None, **manifest) -> Path:
    """Write data/sample.csv, its manifest (hash of the bytes written unless given) and references.bib."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    raw = body.encode("utf-8") if isinstance(body, str) else body
    (data_dir / "sample.csv").write_bytes(raw)
    spec = manifest_of(
        "sample",
        sha256 or hashlib.sha256(raw).hexdigest(),
        ["row_id"],
        COLUMNS,
        title="Sample table",
        description="Rows for testing the loader.",
    )
    spec.update(manifest)
    (data_dir / "sample.yml").write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    (tmp_path / "references.bib").write_text(BIB, encoding="utf-8")
    return data_dir


def csv_of(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def load_sample(tmp_path: Path) -> pd.DataFrame:
    return load("sample", data_dir=tmp_path / "data", bibliography=tmp_path / "references.bib")


def refused(tmp_path: Path, body: str | bytes, **kwargs) -> DataValidationError:
    write_table(tmp_path, body, **kwargs)
    with pytest.raises(DataValidationError) as caught:
        load_sample(tmp_path)
    return caught.value


# --- good input -----------------------------------------------------------------------------------------


def test_good_table_is_returned_with_declared_types(tmp_path):
    write_table(tmp_path, csv_of(*GOOD_ROWS))
    frame = load_sample(tmp_path)
    assert list(frame.columns) == HEADER.split(",")
    assert str(frame["count"].dtype) == "Int64"
    assert frame["value_musd"].tolist() == [1200.5, 800.0]
    assert frame["date"].tolist() == [pd.Timestamp("2022-07-19"), pd.Timestamp("2023-03-21")]
    assert frame["confirmed"].tolist() == [True, False]
    assert pd.isna(frame.loc[1, "count"])  # an empty optional cell is missing, not zero
    assert frame.attrs["manifest"].name == "sample"


def test_quoted_cell_is_read_without_its_quotes(tmp_path):
    write_table(tmp_path, csv_of('R01,2022-07-19,russia_to_iran,3,1,true,"agency-2024-report"'))
    assert load_sample(tmp_path)["source"].tolist() == ["agency-2024-report"]


# --- bad input: each case names file, line, column and rule ----------------------------------------------


@pytest.mark.parametrize(
    ("row", "column", "rule"),
    [
        ("R03,2022-07-19,russia_to_iran,three,1,true,agency-2024-report", "count", "type-integer"),
        ("R03,2022-07-19,russia_to_iran,3,1.2bn,true,agency-2024-report", "value_musd", "type-number"),
        ('R03,2022-07-19,russia_to_iran,3,"1,200",true,agency-2024-report', "value_musd", "type-number"),
        ("R03,2022-07-19,russia_to_iran,3,100-200,true,agency-2024-report", "value_musd", "type-number"),
        ("R03,19/07/2022,russia_to_iran,3,1,true,agency-2024-report", "date", "type-date"),
        ("R03,2022-02-30,russia_to_iran,3,1,true,agency-2024-report", "date", "type-date"),
        ("R03,2022-07-19,russia_to_iran,3,1,yes,agency-2024-report", "confirmed", "type-boolean"),
        ("R03,2022-07-19,both_ways,3,1,true,agency-2024-report", "flow", "enum"),
        ("R03,2022-07-19,russia_to_iran,-1,1,true,agency-2024-report", "count", "minimum"),
        ("R03,2022-07-19,russia_to_iran,3,100001,true,agency-2024-report", "value_musd", "maximum"),
        ("R03,1990-12-31,russia_to_iran,3,1,true,agency-2024-report", "date", "minimum"),
        ("R3,2022-07-19,russia_to_iran,3,1,true,agency-2024-report", "row_id", "pattern"),
        ("R03,2022-07-19,,3,1,true,agency-2024-report", "flow", "required"),
        ("R03,2022-07-19,russia_to_iran, 3,1,true,agency-2024-report", "count", "whitespace"),
        ("R03,2022-07-19,russia_to_iran,3,1,true,no-such-key-2020", "source", "source-key"),
        ("R03,2022-07-19,russia_to_iran,3,1,true,agency-2024-report;no-such-key-2020", "source", "source-key"),
        ("R01,2022-07-19,russia_to_iran,3,1,true,agency-2024-report", "row_id", "primary-key-unique"),
    ],
)
def test_bad_cell_is_refused_with_its_rule(tmp_path, row, column, rule):
    error = refused(tmp_path, csv_of(*GOOD_ROWS, row))
    assert (error.rule, error.column, error.line) == (rule, column, 4)
    assert error.file == tmp_path / "data" / "sample.csv"
    message = str(error)
    assert "sample.csv" in message and "line 4" in message and f"column '{column}'" in message and rule in message


def test_missing_column_is_refused(tmp_path):
    header = HEADER.replace(",confirmed", "")
    error = refused(tmp_path, csv_of("R01,2022-07-19,russia_to_iran,3,1,agency-2024-report", header=header))
    assert (error.rule, error.column, error.line) == ("missing-column", "confirmed", 1)


def test_extra_column_is_refused(tmp_path):
    error = refused(tmp_path, csv_of(GOOD_ROWS[0] + ",x", header=HEADER + ",comment"))
    assert (error.rule, error.column, error.line) == ("extra-column", "comment", 1)


def test_columns_out_of_manifest_order_are_refused(tmp_path):
    header = "date,row_id,flow,count,value_musd,confirmed,source"
    error = refused(tmp_path, csv_of("2022-07-19,R01,russia_to_iran,3,1,true,agency-2024-report", header=header))
    assert (error.rule, error.line) == ("column-order", 1)


def test_row_with_too_few_fields_is_refused(tmp_path):
    error = refused(tmp_path, csv_of(GOOD_ROWS[0], "R02,2023-03-21,iran_to_russia"))
    assert (error.rule, error.line) == ("row-width", 3)


def test_empty_file_is_refused(tmp_path):
    error = refused(tmp_path, b"")
    assert error.rule == "empty-file"


def test_header_only_file_is_refused(tmp_path):
    error = refused(tmp_path, HEADER + "\n")
    assert error.rule == "empty-file"


def test_file_changed_after_its_manifest_is_refused(tmp_path):
    stale = hashlib.sha256(csv_of(*GOOD_ROWS).encode()).hexdigest()
    error = refused(tmp_path, csv_of(GOOD_ROWS[0]), sha256=stale)
    assert error.rule == "sha256"
    assert "rehash" in str(error)


def test_non_utf8_file_is_refused_with_the_line_of_the_bad_byte(tmp_path):
    body = csv_of(GOOD_ROWS[0]).encode("utf-8") + "R02,2023-03-21,iran_to_russia,1,1,true,Téhéran\n".encode("latin-1")
    error = refused(tmp_path, body)
    assert (error.rule, error.line) == ("encoding-utf8", 3)


def test_too_few_rows_are_refused(tmp_path):
    error = refused(tmp_path, csv_of(*GOOD_ROWS), min_rows=3)
    assert error.rule == "min-rows"


def test_unknown_table_names_the_known_ones(tmp_path):
    write_table(tmp_path, csv_of(*GOOD_ROWS))
    with pytest.raises(DataValidationError, match="known: sample"):
        load("trade", data_dir=tmp_path / "data", bibliography=tmp_path / "references.bib")


# --- manifests are checked too -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"licence": {"name": "CC BY 4.0"}}, "licence"),
        ({"sha256": "abc"}, "sha256"),
        ({"primary_key": ["nope"]}, "primary_key"),
        ({"colour": "blue"}, "unknown keys"),
        ({"columns": [dict(COLUMNS[0], type="text")] + COLUMNS[1:]}, "type 'text'"),
        ({"columns": COLUMNS[:3] + [{k: v for k, v in COLUMNS[3].items() if k != "unit"}] + COLUMNS[4:]}, "unit"),
        ({"coverage": {"start": "date"}}, "coverage"),
        ({"coverage": {"start": "date", "end": "nope"}}, "coverage end 'nope'"),
        ({"coverage": {"start": "value_musd", "end": "date"}}, "coverage start 'value_musd'"),
    ],
)
def test_broken_manifest_is_refused(tmp_path, change, message):
    write_table(tmp_path, csv_of(*GOOD_ROWS), **change)
    with pytest.raises(DataValidationError, match=message) as caught:
        read_manifest("sample", tmp_path / "data")
    assert caught.value.rule == "manifest"
    assert caught.value.file == tmp_path / "data" / "sample.yml"


def _with_flow_enum(enum) -> list[dict]:
    return [dict(c, enum=enum) if c["name"] == "flow" else c for c in COLUMNS]


def test_labelled_enum_gives_values_and_their_labels(tmp_path):
    labels = {"russia_to_iran": "Russia to Iran", "iran_to_russia": "Iran to Russia"}
    data_dir = write_table(tmp_path, csv_of(*GOOD_ROWS), columns=_with_flow_enum(labels))
    flow = read_manifest("sample", data_dir).column("flow")
    assert flow.enum == ("russia_to_iran", "iran_to_russia")
    assert flow.labels == labels
    assert flow.label("iran_to_russia") == "Iran to Russia"
    with pytest.raises(KeyError, match="no label for 'both'"):
        flow.label("both")
    with pytest.raises(KeyError, match="no column 'nope'"):
        read_manifest("sample", data_dir).column("nope")


def test_labelled_enum_still_refuses_a_value_it_does_not_list(tmp_path):
    labels = {"russia_to_iran": "Russia to Iran"}
    data_dir = write_table(tmp_path, csv_of(*GOOD_ROWS), columns=_with_flow_enum(labels))
    with pytest.raises(DataValidationError, match="'iran_to_russia' is not one of") as caught:
        load("sample", data_dir=data_dir, bibliography=tmp_path / "references.bib")
    assert (caught.value.rule, caught.value.line, caught.value.column) == ("enum", 3, "flow")


@pytest.mark.parametrize(
    ("enum", "message"),
    [
        ({"russia_to_iran": "", "iran_to_russia": "Iran to Russia"}, "label of enum value 'russia_to_iran'"),
        ({"russia_to_iran": 3, "iran_to_russia": "Iran to Russia"}, "label of enum value 'russia_to_iran'"),
        ({"russia_to_iran": "Same", "iran_to_russia": "Same"}, "same label"),
        ({"russia_to_iran": "<b>Russia</b>", "iran_to_russia": "Iran"}, "label of enum value"),
        ("russia_to_iran", "list of values or a mapping"),
    ],
)
def test_broken_labelled_enum_is_refused(tmp_path, enum, message):
    write_table(tmp_path, csv_of(*GOOD_ROWS), columns=_with_flow_enum(enum))
    with pytest.raises(DataValidationError, match=message) as caught:
        read_manifest("sample", tmp_path / "data")
    assert caught.value.column == "flow"


def test_manifests_differing_only_in_their_hash_read_as_wholly_parsed_ones(tmp_path):
    # read_manifest parses a manifest once apart from its hash line (rehashes are frequent): each read must
    # still give exactly what a full parse of that manifest's bytes gives.
    from iranrussia.data import _manifest_from

    data_dir = write_table(tmp_path, csv_of(*GOOD_ROWS))
    manifest_path = data_dir / "sample.yml"
    for digest in ("a" * 64, hashlib.sha256(b"other").hexdigest(), "0123456789abcdef" * 4):
        text = manifest_path.read_text(encoding="utf-8")
        manifest_path.write_text(re.sub(r"(?m)^sha256:.*$", f"sha256: {digest}", text), encoding="utf-8")
        got = read_manifest("sample", data_dir)
        full = _manifest_from.__wrapped__(manifest_path, manifest_path.read_bytes())
        assert (got.sha256, got.raw) == (digest, full.raw)
        assert got == full
    # A second, quoted "sha256" key is not a hash line, and YAML lets the later key win.
    quoted = hashlib.sha256(b"quoted").hexdigest()
    manifest_path.write_text(manifest_path.read_text(encoding="utf-8") + f'"sha256": {quoted}\n', encoding="utf-8")
    assert read_manifest("sample", data_dir).sha256 == quoted


@pytest.mark.parametrize(
    ("hash_text", "message"),
    [
        ("1" * 64, "YAML reads an unquoted run of digits as a number"),
        ("A" * 64, "64 lowercase hex digits"),
    ],
    ids=["all-digits", "upper-case"],
)
def test_an_odd_hash_line_is_judged_as_a_full_parse_judges_it(tmp_path, hash_text, message):
    data_dir = write_table(tmp_path, csv_of(*GOOD_ROWS))
    manifest_path = data_dir / "sample.yml"
    text = manifest_path.read_text(encoding="utf-8")
    manifest_path.write_text(re.sub(r"(?m)^sha256:.*$", f"sha256: {hash_text}", text), encoding="utf-8")
    with pytest.raises(DataValidationError, match=message):
        read_manifest("sample", data_dir)


# ---------------------------------------------------- recording an intended change: the manifest hash ----


def test_refresh_manifest_sha256_rewrites_only_the_hash_line(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("a,b\n1,2\n", encoding="utf-8")
    manifest = tmp_path / "t.yml"
    manifest.write_text("# hand-written comment\nname: t\nsha256: stale\ncolumns: []  # kept\n", encoding="utf-8")
    digest = refresh_manifest_sha256(table)
    assert digest == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert manifest.read_text(encoding="utf-8") == (
        f"# hand-written comment\nname: t\nsha256: {digest}\ncolumns: []  # kept\n"
    )


def test_refresh_manifest_sha256_refuses_a_table_without_manifest(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match=r"t\.yml: no manifest beside t\.csv"):
        refresh_manifest_sha256(table)


@pytest.mark.parametrize("lines", ["name: t\n", "sha256: x\nsha256: y\n"], ids=["none", "two"])
def test_refresh_manifest_sha256_needs_exactly_one_hash_line(tmp_path, lines):
    table = tmp_path / "t.csv"
    table.write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "t.yml").write_text(lines, encoding="utf-8")
    with pytest.raises(ValueError, match=r"t\.yml: expected exactly one top-level 'sha256:' line"):
        refresh_manifest_sha256(table)


# ------------------------------------------------------------------ coverage: how far a table reaches ----


def test_coverage_reads_first_start_and_last_end_from_the_declared_columns(tmp_path):
    from iranrussia.coverage import series_coverage, table_coverage

    rows = [*GOOD_ROWS, "R03,2021-01-05,russia_to_iran,1,5,true,agency-2024-report"]
    write_table(tmp_path, csv_of(*rows), coverage={"start": "date", "end": "date"})
    frame = load_sample(tmp_path)
    assert table_coverage(frame) == ("2021-01-05", "2023-03-21")
    per_flow = series_coverage(frame, "flow", label="row_id")
    assert per_flow.to_dict("records") == [
        {"flow": "iran_to_russia", "rows": 1, "first": "2023-03-21", "last": "2023-03-21", "latest period": "R02"},
        {"flow": "russia_to_iran", "rows": 2, "first": "2021-01-05", "last": "2022-07-19", "latest period": "R01"},
    ]


def test_coverage_of_a_table_without_declared_columns_is_an_error(tmp_path):
    from iranrussia.coverage import table_coverage

    write_table(tmp_path, csv_of(*GOOD_ROWS))
    with pytest.raises(ValueError, match="declares no 'coverage'"):
        table_coverage(load_sample(tmp_path))


def test_freshness_table_has_one_row_per_series_and_one_for_a_whole_table(tmp_path):
    from iranrussia.coverage import freshness_table

    write_table(tmp_path, csv_of(*GOOD_ROWS), coverage={"start": "date", "end": "date"})
    frame = load_sample(tmp_path)
    table = freshness_table([(frame, "flow", "row_id", {"iran_to_russia": "Iran → Russia"}), (frame, None, None, None)])
    assert table[["Series", "Rows", "First", "Last", "Latest period"]].values.tolist() == [
        ["Iran → Russia", 1, "2023-03-21", "2023-03-21", "R02"],
        ["russia_to_iran", 1, "2022-07-19", "2022-07-19", "R01"],
        ["all rows", 2, "2022-07-19", "2023-03-21", ""],
    ]
    assert set(table["Table"]) == {"sample"}


def test_latest_period_is_never_a_row_without_an_end(tmp_path):
    from iranrussia.coverage import series_coverage

    columns = COLUMNS + [{"name": "ended", "type": "date", "description": "End, if known."}]
    header = HEADER + ",ended"
    rows = [GOOD_ROWS[0] + ",2022-08-01", GOOD_ROWS[1].replace("iran_to_russia", "russia_to_iran") + ","]
    write_table(tmp_path, csv_of(*rows, header=header), columns=columns, coverage={"start": "date", "end": "ended"})
    per_flow = series_coverage(load_sample(tmp_path), "flow", label="row_id")
    assert per_flow.loc[0, "latest period"] == "R01"
    assert per_flow.loc[0, "last"] == "2022-08-01"


# Row references: a claims-like table pointing at rows of the sample table.
REF_COLUMNS = [
    {"name": "claim_id", "type": "string", "description": "Identifier.", "required": True},
    {"name": "evidence", "type": "string", "description": "Rows.", "row_refs": True},
]


def write_refs(tmp_path: Path, *cells: str) -> Path:
    """The sample table (good rows) plus a 'verdicts' table whose evidence cells are ``cells``."""
    data_dir = write_table(tmp_path, csv_of(*GOOD_ROWS))
    body = "claim_id,evidence\n" + "".join(f'C{i:02d},"{cell}"\n' for i, cell in enumerate(cells, 1))
    (data_dir / "verdicts.csv").write_text(body, encoding="utf-8")
    spec = manifest_of(
        "verdicts",
        hashlib.sha256(body.encode()).hexdigest(),
        ["claim_id"],
        REF_COLUMNS,
        title="Verdicts",
        description="Rows pointing at sample rows.",
    )
    (data_dir / "verdicts.yml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return data_dir


def load_refs(tmp_path: Path) -> pd.DataFrame:
    return load("verdicts", data_dir=tmp_path / "data", bibliography=tmp_path / "references.bib")


def test_row_references_that_name_existing_rows_load(tmp_path):
    write_refs(tmp_path, "sample:R01", "sample:R01;sample[flow=iran_to_russia,date=2023-03-21]", "")
    assert load_refs(tmp_path)["evidence"].tolist()[:2] == [
        "sample:R01",
        "sample:R01;sample[flow=iran_to_russia,date=2023-03-21]",
    ]


@pytest.mark.parametrize(
    "cell, rule, message",
    [
        ("sample:R09", "row-ref-missing", "reference 'sample:R09': table sample has no such row"),
        ("sample[flow=iran_to_russia,date=2022-07-19]", "row-ref-missing", "table sample has no such row"),
        ("missing:R01", "row-ref-table", "names table 'missing', which has no manifest"),
        ("sample[colour=red]", "row-ref-column", "table sample has no column 'colour'"),
        ("sample R01", "row-ref-syntax", "is neither 'table:KEY' nor 'table[column=value,...]'"),
        ("sample[flow]", "row-ref-syntax", "'flow' is not 'column=value'"),
        ("verdicts:C01", "row-ref-table", "a table of references"),
    ],
)
def test_bad_row_reference_names_the_claim_the_table_and_the_key(tmp_path, cell, rule, message):
    write_refs(tmp_path, "sample:R01", cell)
    with pytest.raises(DataValidationError) as err:
        load_refs(tmp_path)
    assert (err.value.rule, err.value.line, err.value.column) == (rule, 3, "evidence")
    assert "row claim_id=C02" in str(err.value) and message in str(err.value)


def test_key_reference_into_a_table_with_a_composite_key_says_how_to_write_it(tmp_path):
    data_dir = write_refs(tmp_path, "sample:R01")
    manifest = yaml.safe_load((data_dir / "sample.yml").read_text())
    manifest["primary_key"] = ["row_id", "flow"]
    (data_dir / "sample.yml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    with pytest.raises(
        DataValidationError,
        match=r"composite key \['row_id', 'flow'\]; write "
        r"sample\[row_id=…,flow=…\]",
    ) as err:
        load_refs(tmp_path)
    assert err.value.rule == "row-ref-column"


def test_row_reference_column_must_be_text(tmp_path):
    data_dir = write_refs(tmp_path, "sample:R01")
    manifest = yaml.safe_load((data_dir / "verdicts.yml").read_text())
    manifest["columns"][1]["type"] = "integer"
    manifest["columns"][1]["unit"] = "rows"
    (data_dir / "verdicts.yml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    with pytest.raises(DataValidationError, match="a row-reference column is of type string"):
        load_refs(tmp_path)


# ------------------------------------------------------------- writing through the manifest: data.write ----


def typed_rows(**change) -> pd.DataFrame:
    """GOOD_ROWS as a builder hands them over: typed values, columns in another order than the manifest's."""
    frame = pd.DataFrame(
        {
            "source": ["agency-2024-report;office-2023-statistics", "agency-2024-report"],
            "row_id": ["R02", "R01"],
            "date": [dt.date(2023, 3, 21), dt.date(2022, 7, 19)],
            "flow": ["iran_to_russia", "russia_to_iran"],
            "count": [None, 3],
            "value_musd": [800.0, 1200.5],
            "confirmed": [False, True],
        }
    )
    for column, values in change.items():
        frame[column] = values
    return frame


def test_write_takes_column_order_row_order_and_cell_text_from_the_manifest(tmp_path):
    data_dir = write_table(tmp_path, csv_of(*GOOD_ROWS))
    (data_dir / "sample.csv").unlink()
    result = write("sample", typed_rows(), data_dir=data_dir, bibliography=tmp_path / "references.bib")
    assert result.written and result.rows == 2
    # header in manifest order; rows by the primary key (R01 first); 800.0 -> 800, None -> empty, dates ISO
    assert (data_dir / "sample.csv").read_text(encoding="utf-8") == csv_of(
        "R01,2022-07-19,russia_to_iran,3,1200.5,true,agency-2024-report",
        "R02,2023-03-21,iran_to_russia,,800,false,agency-2024-report;office-2023-statistics",
    )
    assert load("sample", data_dir=data_dir, bibliography=tmp_path / "references.bib")["row_id"].tolist() == [
        "R01",
        "R02",
    ]


def test_write_of_an_unchanged_table_leaves_the_file_alone_and_a_check_reports_a_change(tmp_path):
    data_dir = write_table(tmp_path, csv_of(*GOOD_ROWS))
    bib = tmp_path / "references.bib"
    before = (data_dir / "sample.csv").stat().st_mtime_ns
    assert not write("sample", typed_rows(), data_dir=data_dir, bibliography=bib).changed
    assert (data_dir / "sample.csv").stat().st_mtime_ns == before
    check = write("sample", typed_rows(value_musd=[801.0, 1200.5]), data_dir=data_dir, bibliography=bib, check=True)
    assert check.changed and not check.written
    assert check.added == ("R02,2023-03-21,iran_to_russia,,801,false,agency-2024-report;office-2023-statistics",)
    assert check.removed == (GOOD_ROWS[1],)
    assert (data_dir / "sample.csv").read_text(encoding="utf-8") == csv_of(*GOOD_ROWS)


@pytest.mark.parametrize(
    ("change", "rule", "column", "line"),
    [
        ({"flow": ["iran_to_russia", "both_ways"]}, "enum", "flow", 2),  # R01 sorts first: line 2
        ({"row_id": ["R01", "R01"]}, "primary-key-unique", "row_id", 3),
        ({"source": ["agency-2024-report", "no-such-key"]}, "source-key", "source", 2),
        ({"value_musd": [800.0, -5.0]}, "minimum", "value_musd", 2),
        ({"count": ["3", None]}, "type-integer", "count", None),  # text is not an integer
        ({"count": [2.5, None]}, "type-integer", "count", None),
        ({"confirmed": [1, 0]}, "type-boolean", "confirmed", None),
        ({"date": ["2023-03-21", "2022-07-19"]}, "type-date", "date", None),
        ({"value_musd": [float("inf"), 1.0]}, "type-number", "value_musd", None),
        ({"note": ["a", "b"]}, "extra-column", "note", None),
    ],
)
def test_write_refuses_what_load_would_refuse_and_leaves_the_file_as_it_was(tmp_path, change, rule, column, line):
    data_dir = write_table(tmp_path, csv_of(*GOOD_ROWS))
    with pytest.raises(DataValidationError) as caught:
        write("sample", typed_rows(**change), data_dir=data_dir, bibliography=tmp_path / "references.bib")
    assert (caught.value.rule, caught.value.column, caught.value.line) == (rule, column, line)
    assert (data_dir / "sample.csv").read_text(encoding="utf-8") == csv_of(*GOOD_ROWS)
    assert str(caught.value).startswith(str(data_dir / "sample.csv"))


def test_write_refuses_a_frame_without_a_declared_column(tmp_path):
    data_dir = write_table(tmp_path, csv_of(*GOOD_ROWS))
    with pytest.raises(DataValidationError, match=r"lacks \['confirmed'\]") as caught:
        write(
            "sample",
            typed_rows().drop(columns="confirmed"),
            data_dir=data_dir,
            bibliography=tmp_path / "references.bib",
        )
    assert caught.value.rule == "missing-column"


def test_sort_by_orders_numbers_as_numbers_and_enums_in_their_listed_order(tmp_path):
    data_dir = write_table(tmp_path, csv_of(*GOOD_ROWS), sort_by=[{"column": "flow", "order": "enum"}, "value_musd"])
    frame = typed_rows(row_id=["R02", "R01"], flow=["russia_to_iran", "russia_to_iran"], value_musd=[800.0, 95.0])
    frame = pd.concat(
        [
            frame,
            typed_rows(row_id=["R03", "R04"], flow=["iran_to_russia", "russia_to_iran"], value_musd=[1.0, 10000.0]),
        ],
        ignore_index=True,
    )
    write("sample", frame, data_dir=data_dir, bibliography=tmp_path / "references.bib")
    lines = (data_dir / "sample.csv").read_text(encoding="utf-8").splitlines()[1:]
    # russia_to_iran is listed first in the enum; 95 < 800 < 10000 as numbers (as text "10000" < "800")
    assert [line.split(",")[0] for line in lines] == ["R01", "R02", "R04", "R03"]


@pytest.mark.parametrize("sort_by", [["nope"], [{"column": "count", "order": "enum"}], ["flow", "flow"], "flow"])
def test_broken_sort_by_is_refused(tmp_path, sort_by):
    write_table(tmp_path, csv_of(*GOOD_ROWS), sort_by=sort_by)
    with pytest.raises(DataValidationError, match="sort_by") as caught:
        read_manifest("sample", tmp_path / "data")
    assert caught.value.rule == "manifest"


@pytest.mark.parametrize(
    ("column_type", "value", "text"),
    [
        ("number", 0.1, "0.1"),
        ("number", 1e-7, "0.0000001"),
        ("number", 1e16, "10000000000000000"),
        ("number", -0.0, "0"),
        ("number", 3, "3"),
        ("number", 2.50, "2.5"),
        ("integer", 7, "7"),
        ("integer", 7.0, "7"),
        ("integer", None, ""),
        ("integer", float("nan"), ""),
        ("date", dt.date(2024, 3, 19), "2024-03-19"),
        ("date", pd.Timestamp("2024-03-19"), "2024-03-19"),
        ("boolean", True, "true"),
        ("boolean", False, "false"),
        ("string", "a, b", "a, b"),
        ("string", pd.NA, ""),
    ],
)
def test_format_cell_writes_each_type_one_way(column_type, value, text):
    column = Column(name="c", type=column_type, description="x", unit="u")
    assert format_cell(column, value) == text


@pytest.mark.parametrize(
    ("column_type", "value"),
    [
        ("integer", True),
        ("number", True),
        ("string", 5),
        ("date", pd.Timestamp("2024-03-19 12:00")),
        ("date", dt.datetime(2024, 3, 19)),
        ("boolean", "true"),
        ("number", "1.5"),
    ],
)
def test_format_cell_refuses_a_value_of_another_type(column_type, value):
    with pytest.raises(TypeError, match=f"is not a {column_type} value"):
        format_cell(Column(name="c", type=column_type, description="x", unit="u"), value)


def test_the_row_finder_finds_what_a_scan_of_the_table_finds():
    """Every reference in the book's tables, looked up by RowFinder, gives the rows a plain scan (select_rows)
    gives; and the whole-frame cell texts equal the per-column ones."""
    from iranrussia.data import RowFinder, cell_text, cell_texts, parse_row_refs, select_rows, table_names

    finders: dict[str, RowFinder] = {}
    checked = 0
    for name in table_names():
        frame = load(name)
        for column in frame.attrs["manifest"].columns:
            if not column.row_refs:
                continue
            for cell in frame[column.name].dropna():
                for ref in parse_row_refs(cell):
                    if ref.table not in finders:
                        finders[ref.table] = RowFinder(load(ref.table))
                    finder = finders[ref.table]
                    # rows of one frame, whose index is unique: the same labels in the same order are the same rows
                    assert finder.frame.index.is_unique
                    assert list(finder.select(ref).index) == list(select_rows(finder.frame, ref).index), ref.text
                    checked += 1
    assert checked > 300  # the claims and framing tables hold hundreds of references
    for name in ("arms_deals", "trade_bilateral", "opinion_polls", "events"):
        frame = load(name)
        texts = cell_texts(frame.iloc[::3])
        assert texts == {c: cell_text(frame[c].iloc[::3]).tolist() for c in frame.columns}, name
