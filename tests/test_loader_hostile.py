"""Hostile and careless input: markup, look-alike digits, hidden characters and badly made files are refused
with a message naming the file, the line, the column, the rule and what to write instead."""

from __future__ import annotations

import pytest
import yaml
from test_loader import COLUMNS, GOOD_ROWS, HEADER, csv_of, load_sample, refused, write_table

from iranrussia.data import DataValidationError, read_manifest

TEXT_COLUMNS = COLUMNS + [{"name": "note", "type": "string", "description": "Free text."}]
TEXT_HEADER = HEADER + ",note"


def text_row(note: str, *, key: str = "R03") -> str:
    quoted = '"' + note.replace('"', '""') + '"'
    return f"{key},2022-07-19,russia_to_iran,3,1,true,agency-2024-report,{quoted}"


def refused_note(tmp_path, note: str, **manifest) -> DataValidationError:
    rows = [row + ",ok" for row in GOOD_ROWS] + [text_row(note)]
    return refused(
        tmp_path, csv_of(*rows, header=TEXT_HEADER), columns=manifest.pop("columns", TEXT_COLUMNS), **manifest
    )


def assert_names_the_cell(error: DataValidationError, rule: str, column: str, line: int = 4) -> str:
    assert (error.rule, error.column, error.line) == (rule, column, line)
    message = str(error)
    assert "sample.csv" in message and f"line {line}" in message and f"column '{column}'" in message
    return message


# --- markup in text cells -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "names"),
    [
        ("<script>alert(1)</script>", "HTML tag"),
        ('Seen <img src=x onerror="alert(1)"> here', "HTML tag"),
        ("</b>", "HTML tag"),
        ("<!-- hidden -->", "HTML tag"),
        ("<https://example.org>", "HTML tag"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "character reference"),
        ("&#60;script&#62;", "character reference"),
        ("&#x3C;b&#x3E;", "character reference"),
        ("see javascript:alert(1)", "script link target"),
        ("JavaScript : alert(1)", "script link target"),
        ("data:text/html;base64,PHNjcmlwdD4=", "data: link target"),
        ("{raw}`html <b>x</b>`", "MyST role"),
        ("{cite:p}`some-key`", "MyST role"),
        ("{:ref}`target`", "MyST role"),
        ("{0}`x`", "MyST role"),
        ("{_x} `x`", "MyST role"),
        ("```{raw} html", "fence"),
        (":::{warning}", "fence"),
        ("{{ title }}", "substitution"),
        ("![chart](https://example.org/x.png)", "image"),
        ("[click here](https://example.org)", "link"),
        ("[click](javascript:alert(1))", "link"),
        ("[a][b]", "link"),
        ("[a] [b]", None),  # not link syntax in CommonMark: a space between the bracket pairs makes it prose
    ],
)
def test_markup_in_a_text_cell_is_refused_naming_what_it_is(tmp_path, note, names):
    if names is None:
        write_table(
            tmp_path, csv_of(*[r + ",ok" for r in GOOD_ROWS], text_row(note), header=TEXT_HEADER), columns=TEXT_COLUMNS
        )
        assert load_sample(tmp_path)["note"].iloc[-1] == note
        return
    message = assert_names_the_cell(refused_note(tmp_path, note), "markup", "note")
    assert names in message


@pytest.mark.parametrize(
    "prose",
    [
        "Attitude to [country]: good or bad?",
        "a < b and c > d",
        "AT&T and R&D",
        "US$ 5 m (about $6 m)",
        "data: SIPRI",
        "*emphasis* stays text",
        "x_y",
    ],
)
def test_prose_that_only_looks_like_markup_is_kept(tmp_path, prose):
    write_table(
        tmp_path, csv_of(*[r + ",ok" for r in GOOD_ROWS], text_row(prose), header=TEXT_HEADER), columns=TEXT_COLUMNS
    )
    assert load_sample(tmp_path)["note"].iloc[-1] == prose


def test_a_column_that_opts_in_to_inline_markup_takes_http_links_only(tmp_path):
    columns = COLUMNS + [{"name": "note", "type": "string", "description": "Text.", "markup": "inline"}]
    linked = "See [the report](https://example.org/report) and *Kayhan*."
    write_table(
        tmp_path, csv_of(*[r + ",ok" for r in GOOD_ROWS], text_row(linked), header=TEXT_HEADER), columns=columns
    )
    assert load_sample(tmp_path)["note"].iloc[-1] == linked
    for hostile, names in [
        ("[x](javascript:alert(1))", "link"),
        ("[x](javascript:void)", "not a plain http(s)"),
        ("<b>x</b>", "HTML tag"),
        ("[<img src=x onerror=y>](https://example.org)", "in the text of the link"),
        ('[x](https://example.org/a"onmouseover=y)', "not a plain http(s) address"),
        ("![x](https://example.org/i.png)", "image"),
        ("{raw}`html x`", "MyST role"),
    ]:
        message = assert_names_the_cell(refused_note(tmp_path, hostile, columns=columns), "markup", "note")
        assert names in message


def test_an_unknown_markup_option_is_refused(tmp_path):
    columns = COLUMNS + [{"name": "note", "type": "string", "description": "Text.", "markup": "html"}]
    write_table(tmp_path, csv_of(*[r + ",ok" for r in GOOD_ROWS], header=TEXT_HEADER), columns=columns)
    with pytest.raises(DataValidationError, match="'markup' is one of") as caught:
        read_manifest("sample", tmp_path / "data")
    assert caught.value.column == "note"


# --- digits are ASCII -----------------------------------------------------------------------------------


SAMPLE_CELLS = dict(zip(HEADER.split(","), "R03,2022-07-19,russia_to_iran,3,1,true,agency-2024-report".split(",")))


def row_with(column: str, value: str) -> str:
    """The good row R03 with one cell replaced (quoted, so a line-break character stays inside its cell)."""
    cells = dict(SAMPLE_CELLS, **{column: value})
    return ",".join(f'"{v}"' if "\r" in v else v for v in cells.values())


# Each cell is refused by its rule, and the message names the look-alike digit or the hidden code point.
@pytest.mark.parametrize(
    ("column", "value", "rule", "named"),
    [
        ("count", "٣", "ascii-digits", "U+0663 ARABIC-INDIC DIGIT THREE"),
        ("value_musd", "١٢٠٠", "ascii-digits", "U+0661"),
        ("value_musd", "۱۲.۵", "ascii-digits", "U+06F1 EXTENDED ARABIC-INDIC DIGIT ONE"),
        ("count", "３", "ascii-digits", "U+FF13 FULLWIDTH DIGIT THREE"),
        ("date", "٢٠٢٢-07-19", "ascii-digits", "U+0662"),
        ("count", "𝟑", "ascii-digits", "MATHEMATICAL BOLD DIGIT THREE"),
        ("row_id", "R03\u200b", "hidden-character", "U+200B ZERO WIDTH SPACE"),
        ("flow", "russia_to_iran\u200d", "hidden-character", "U+200D ZERO WIDTH JOINER"),
        ("source", "agency-2024-report\ufeff", "hidden-character", "U+FEFF"),
        ("count", "3\u2060", "hidden-character", "U+2060 WORD JOINER"),
        ("source", "agency\u00ad-2024-report", "hidden-character", "U+00AD SOFT HYPHEN"),
        ("row_id", "R03\u00a0", "hidden-character", "U+00A0 NO-BREAK SPACE"),
        ("source", "agency-2024-report;\u202foffice-2023-statistics", "hidden-character", "U+202F NARROW NO-BREAK"),
        ("source", "agency-2024-report\t", "hidden-character", "U+0009"),
        ("value_musd", "1\x07", "hidden-character", "U+0007"),
        ("confirmed", "tr\x85ue", "hidden-character", "U+0085"),
        ("source", "agency-2024-report\r", "hidden-character", "U+000D"),
    ],
)
def test_look_alike_digits_and_hidden_characters_are_refused_naming_them(tmp_path, column, value, rule, named):
    message = assert_names_the_cell(refused(tmp_path, csv_of(*GOOD_ROWS, row_with(column, value))), rule, column)
    assert named in message and ("0-9" in message or rule == "hidden-character")


@pytest.mark.parametrize(
    ("value", "column"),
    [("007", "count"), ("-0", "count"), ("+3", "count"), ("01.5", "value_musd"), ("+1", "value_musd")],
)
def test_numbers_are_written_plainly_so_they_read_back_the_same(tmp_path, value, column):
    cells = {"count": "3", "value_musd": "1", column: value}
    row = f"R03,2022-07-19,russia_to_iran,{cells['count']},{cells['value_musd']},true,agency-2024-report"
    assert_names_the_cell(
        refused(tmp_path, csv_of(*GOOD_ROWS, row)), "type-integer" if column == "count" else "type-number", column
    )


def test_a_key_pattern_means_ascii_digits(tmp_path):
    error = refused(tmp_path, csv_of(*GOOD_ROWS, "R٠3,2022-07-19,russia_to_iran,3,1,true,agency-2024-report"))
    assert_names_the_cell(error, "pattern", "row_id")


# --- hidden and control characters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "codepoint"),
    [
        ("Tehran\u202e said", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("iso\u2066late", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("mark\u200f", "U+200F RIGHT-TO-LEFT MARK"),
        ("two\nlines", "U+000A"),
        ("para\u2029graph", "U+2029 PARAGRAPH SEPARATOR"),
        ("private\ue000use", "U+E000"),
        ("blank\u3164filler", "U+3164 HANGUL FILLER"),
    ],
)
def test_hidden_characters_in_free_text_are_refused(tmp_path, note, codepoint):
    message = assert_names_the_cell(refused_note(tmp_path, note), "hidden-character", "note")
    assert codepoint in message


def test_a_no_break_space_in_free_text_is_kept(tmp_path):
    # Typographically legitimate in prose (and invisible to no one who compares text); only keys refuse it.
    write_table(
        tmp_path,
        csv_of(*[r + ",ok" for r in GOOD_ROWS], text_row("US$\u00a05 m"), header=TEXT_HEADER),
        columns=TEXT_COLUMNS,
    )
    assert load_sample(tmp_path)["note"].iloc[-1] == "US$\u00a05 m"


# --- messages that say what to do -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "column", "plain"),
    [
        ("1,200", "value_musd", "1200"),
        ("1,200,000.5", "value_musd", "1200000.5"),
        ("1 200", "value_musd", "1200"),
        ("3,000", "count", "3000"),
    ],
)
def test_thousands_separators_are_named_as_such(tmp_path, value, column, plain):
    cells = {"count": "3", "value_musd": "1", column: f'"{value}"'}
    row = f"R03,2022-07-19,russia_to_iran,{cells['count']},{cells['value_musd']},true,agency-2024-report"
    message = assert_names_the_cell(
        refused(tmp_path, csv_of(*GOOD_ROWS, row)), "type-integer" if column == "count" else "type-number", column
    )
    assert "thousands separator" in message and f"write {plain}" in message


def test_a_duplicated_header_name_is_named(tmp_path):
    header = HEADER.replace("count,value_musd", "count,count")
    error = refused(tmp_path, csv_of(GOOD_ROWS[0], header=header))
    assert (error.rule, error.column, error.line) == ("duplicate-column", "count", 1)
    assert "'count' 2 times (fields 4, 5)" in str(error)


def test_columns_out_of_order_say_which_moved(tmp_path):
    header = "row_id,date,flow,value_musd,count,confirmed,source"
    error = refused(tmp_path, csv_of("R01,2022-07-19,russia_to_iran,1,3,true,agency-2024-report", header=header))
    assert (error.rule, error.column, error.line) == ("column-order", "count", 1)
    message = str(error)
    assert "'count' is field 5, expected 4" in message and "'value_musd' is field 4, expected 5" in message
    assert "Found ['row_id', 'date', 'flow', 'value_musd'" in message


def test_a_hidden_character_in_the_header_is_named(tmp_path):
    error = refused(tmp_path, csv_of(*GOOD_ROWS, header=HEADER.replace("flow", "flow\u200b")))
    assert (error.rule, error.line) == ("hidden-character", 1)
    assert "U+200B ZERO WIDTH SPACE" in str(error)


@pytest.mark.parametrize(
    ("prefix", "column"),
    [
        ("R02,2023-03-21,iran_to_russia,1,1,true,", "source"),
        ('R02,2023-03-21,"iran_to_russia ', "flow"),
        ("R0", "row_id"),
    ],
)
def test_an_undecodable_byte_is_placed_in_its_column(tmp_path, prefix, column):
    body = csv_of(GOOD_ROWS[0]).encode("utf-8") + prefix.encode() + "Téhéran\n".encode("latin-1")
    error = refused(tmp_path, body)
    assert (error.rule, error.line, error.column) == ("encoding-utf8", 3, column)
    assert "0xe9" in str(error) and "save the file as UTF-8" in str(error)


@pytest.mark.parametrize(
    ("placeholder", "says"), [("0" * 64, "YAML reads an unquoted run of digits as a number"), ("TODO", "found 'TODO'")]
)
def test_a_placeholder_hash_says_how_to_write_the_real_one(tmp_path, placeholder, says):
    data_dir = write_table(tmp_path, csv_of(*GOOD_ROWS))
    manifest = data_dir / "sample.yml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(
        "\n".join(f"sha256: {placeholder}" if line.startswith("sha256:") else line for line in text.splitlines())
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as caught:
        read_manifest("sample", tmp_path / "data")
    assert says in str(caught.value) and "python3 tasks.py rehash sample" in str(caught.value)


def test_a_manifest_without_a_hash_line_says_how_to_add_it(tmp_path):
    data_dir = write_table(tmp_path, csv_of(*GOOD_ROWS))
    spec = yaml.safe_load((data_dir / "sample.yml").read_text(encoding="utf-8"))
    del spec["sha256"]
    (data_dir / "sample.yml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"no 'sha256' line: run `python3 tasks.py rehash sample`"):
        read_manifest("sample", data_dir)


# --- manifests are contributed text too -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "rule", "column"),
    [
        ({"title": "Table <script>alert(1)</script>"}, "markup", None),
        ({"description": "See [here](javascript:alert(1))."}, "markup", None),
        ({"credit": "Data {raw}`html <b>x</b>`"}, "markup", None),
        ({"third_party_terms": "Terms &lt;b&gt;"}, "markup", None),
        ({"producer": "SIPRI\u200b"}, "hidden-character", None),
        ({"columns": [dict(COLUMNS[0], description="Id <img src=x onerror=y>")] + COLUMNS[1:]}, "markup", "row_id"),
        ({"columns": COLUMNS[:3] + [dict(COLUMNS[3], unit="items\u202e")] + COLUMNS[4:]}, "hidden-character", "count"),
        (
            {"columns": COLUMNS[:2] + [dict(COLUMNS[2], enum=["russia_to_iran", "<b>x</b>"])] + COLUMNS[3:]},
            "markup",
            "flow",
        ),
        ({"licence": {"name": "CC BY 4.0", "url": "javascript:alert(1)"}}, "manifest", None),
        ({"columns": [dict(COLUMNS[0], name="row id")] + COLUMNS[1:]}, "manifest", None),
        ({"columns": [dict(COLUMNS[0], pattern="R(")] + COLUMNS[1:]}, "manifest", "row_id"),
        ({"description": "Line\u2028separated"}, "hidden-character", None),
        ({"path": "../elsewhere.csv"}, "manifest", None),
        ({"columns": COLUMNS[:2] + [dict(COLUMNS[2], enum=["russia_to_iran", ""])] + COLUMNS[3:]}, "manifest", "flow"),
        ({"columns": COLUMNS[:2] + [dict(COLUMNS[2], enum=[True, False])] + COLUMNS[3:]}, "manifest", "flow"),
        ({"columns": COLUMNS[:3] + [dict(COLUMNS[3], enum=[True])] + COLUMNS[4:]}, "manifest", "count"),
        ({"columns": COLUMNS[:3] + [dict(COLUMNS[3], minimum="0")] + COLUMNS[4:]}, "manifest", "count"),
        ({"columns": [COLUMNS[0], dict(COLUMNS[1], minimum="1991-13-01")] + COLUMNS[2:]}, "manifest", "date"),
        ({"min_rows": "5"}, "manifest", None),
    ],
)
def test_manifest_text_follows_the_cell_rules(tmp_path, change, rule, column):
    write_table(tmp_path, csv_of(*GOOD_ROWS), **change)
    with pytest.raises(DataValidationError) as caught:
        read_manifest("sample", tmp_path / "data")
    assert (caught.value.rule, caught.value.column) == (rule, column)
    assert caught.value.file == tmp_path / "data" / "sample.yml"


def test_unquoted_yes_no_in_a_text_enum_says_to_quote_them(tmp_path):
    columns = COLUMNS[:2] + [dict(COLUMNS[2], enum=[True, False])] + COLUMNS[3:]
    write_table(tmp_path, csv_of(*GOOD_ROWS), columns=columns)
    with pytest.raises(DataValidationError, match="quote the value"):
        read_manifest("sample", tmp_path / "data")


@pytest.mark.parametrize("name", ["t|x", "T1", "1t", "t-x"])
def test_a_table_name_is_an_identifier(tmp_path, name):
    data_dir = write_table(tmp_path, csv_of(*GOOD_ROWS))
    spec = yaml.safe_load((data_dir / "sample.yml").read_text(encoding="utf-8"))
    spec.update(name=name, path=f"{name}.csv")
    (data_dir / f"{name}.yml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    (data_dir / f"{name}.csv").write_bytes((data_dir / "sample.csv").read_bytes())
    with pytest.raises(DataValidationError, match="table name") as caught:
        read_manifest(name, data_dir)
    assert caught.value.rule == "manifest"
