"""The data dictionary's sections, contents and download links, and the chapters' links to them.

Every table has a section labelled ``table-<name>`` (a MyST target before its heading); the contents list and
the chapters' credit lines link to those labels. Expected texts are written out by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_page import HOSTILE, made_from_data, tokens

from iranrussia import page
from iranrussia.data import Column, read_manifest, table_names
from iranrussia.datadict import contents_markdown, data_dictionary, download_link, group_of, table_markdown
from iranrussia.paths import REPO_ROOT

CONTAINER = "{container} dictionary-columns"


def test_a_table_link_is_the_name_as_code_linking_to_its_label():
    assert page.table_link("trade_bilateral") == "[`trade_bilateral`](#table-trade_bilateral)"
    assert page.table_link("events") == "[`events`](#table-events)"


@pytest.mark.parametrize("name", ["Events", "a b", "x](javascript:1)", "", "1abc", "trade-bilateral", None, "é"])
def test_a_table_link_refuses_anything_but_a_table_name(name):
    with pytest.raises(ValueError, match="not a table name"):
        page.table_link(name)


def test_the_credit_line_links_each_table_once_after_the_credits():
    markdown = page.credit_markdown(["policy_actions", "events", "policy_actions"], "A note.")
    assert markdown.startswith("*Source\\: ")
    assert markdown.endswith(
        " A note. Data tables: [`policy_actions`](#table-policy_actions), [`events`](#table-events).*"
    )
    single = page.credit_markdown(["events"])
    assert single.endswith(". Data table: [`events`](#table-events).*")
    assert page.table_credit(["events"]).data == single


def test_a_credit_note_cannot_add_links_or_markup_of_its_own():
    markdown = page.credit_markdown(["events"], " ".join(HOSTILE))
    assert made_from_data(markdown, {"em_open", "em_close", "link_open", "link_close", "code_inline"}) == []
    assert [t.attrs["href"] for t in tokens(markdown) if t.type == "link_open"] == ["#table-events"]
    assert [t.content for t in tokens(markdown) if t.type == "code_inline"] == ["events"]


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("trade_partners", "Trade"),
        ("oil_flows", "Oil"),
        ("arms_deals", "Arms transfers"),
        ("drones_monthly", "Drones"),
        ("opinion_polls", "Iranian opinion"),
        ("policy_sdn_monthly", "Western policy"),
        ("events", "The relationship: events, claims and framing"),
        ("claims", "The relationship: events, claims and framing"),
        ("framing_evidence", "The relationship: events, claims and framing"),
        ("eventsx", "Other tables"),  # "events" is a name, not a prefix
        ("tradeoff", "Other tables"),
    ],
)
def test_each_table_falls_in_its_subjects_group(name, group):
    assert group_of(name) == group


def _forged(name: str, title: str, **changes):
    manifest = read_manifest("events")
    return manifest.__class__(**{**manifest.__dict__, "name": name, "title": title, **changes})


def test_the_contents_list_groups_tables_in_reading_order():
    manifests = [_forged("zeta", "Zeta <b>"), _forged("trade_x", "Trade X"), _forged("events", "Events")]
    assert contents_markdown(manifests) == (
        "- **The relationship\\: events, claims and framing**\n"
        "  - [`events`](#table-events): Events\n"
        "- **Trade**\n"
        "  - [`trade_x`](#table-trade_x): Trade X\n"
        "- **Other tables**\n"
        "  - [`zeta`](#table-zeta): Zeta \\<b\\>"
    )


def test_a_section_opens_with_its_target_heading_summary_and_download():
    manifest = _forged(
        "events",
        "Dated events",
        description="What it holds.",
        credit="Credit me.",
        primary_key=("event_id",),
        licence={"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
        third_party_terms=None,
        builder=None,
        coverage=("date", "date"),
        columns=(Column(name="event_id", type="string", description="Stable id.", required=True, pattern="^E\\d+$"),),
    )
    markdown = table_markdown(manifest, rows=1234, coverage=("1992-09-01", "2026-04-07"))
    head = markdown.split("- Producer:")[0]
    assert head == (
        "(table-events)=\n"
        "## `events`\n"
        "\n"
        "**Dated events**\n"
        "\n"
        "What it holds.\n"
        "\n"
        "- Coverage: 1992-09-01 to 2026-04-07 (read from `date`)\n"
        "- Rows: 1,234; primary key: `event_id`\n"
        "- Licence: [CC BY 4.0](https://creativecommons.org/licenses/by/4.0/)\n"
        "- Credit line: Credit me.\n"
        '- Download: <a class="dictionary-download" href="../data/events.csv" download>events.csv</a> '
        "(CSV; `data/events.csv` in the repository)\n"
    )
    assert markdown.endswith(
        ":::{container} dictionary-columns\n"
        "| Column | Meaning | Type | Unit | Rule |\n"
        "|---|---|---|---|---|\n"
        "| `event_id` | Stable id. | string |  | required; pattern `^E\\d+$` |\n"
        ":::"
    )
    kinds = [(t.type, t.content) for t in tokens(markdown) if t.type in {"myst_target", "heading_open"}]
    assert kinds == [("myst_target", "table-events"), ("heading_open", "")]


def test_enum_labels_are_shown_only_where_they_say_more_than_the_value():
    column = Column(
        name="status",
        type="string",
        description="Status.",
        enum=("delivered", "not_delivered", "partial"),
        labels={"delivered": "Delivered", "not_delivered": "Not delivered", "partial": "Partly delivered"},
    )
    markdown = table_markdown(_forged("events", "E", columns=(column,)), rows=1)
    assert "| one of `delivered` · `not_delivered` · `partial` (Partly delivered) |" in markdown


@pytest.mark.parametrize("filename", ["events.txt", "Events.csv", "a b.csv", 'x".csv', "x<b>.csv"])
def test_a_download_link_refuses_a_file_that_is_not_a_table_csv(filename):
    manifest = _forged("events", "E", path=Path("data") / filename)
    with pytest.raises(ValueError):
        download_link(manifest)


def test_a_section_refuses_a_table_name_that_could_carry_markup():
    with pytest.raises(ValueError, match="not a table name"):
        table_markdown(_forged("events)=\n# x", "E"), rows=1)


@pytest.fixture(scope="module")
def dictionary() -> str:
    return data_dictionary()


def test_every_table_has_one_section_and_one_contents_entry(dictionary):
    names = table_names()
    targets = re.findall(r"^\(table-([a-z0-9_]+)\)=$", dictionary, re.MULTILINE)
    assert targets == names  # one section each, in the tables' order
    contents = dictionary.split("\n\n---\n\n")[0]
    assert sorted(re.findall(r"\]\(#table-([a-z0-9_]+)\)", contents)) == names


def test_every_column_table_sits_in_the_dictionary_container(dictionary):
    fences = [t for t in tokens(dictionary) if t.type == "colon_fence"]
    assert len(fences) == len(table_names())
    assert {t.info for t in fences} == {CONTAINER}
    for fence in fences:
        assert fence.content.startswith("| Column | Meaning | Type | Unit | Rule |\n")


def test_every_table_link_in_the_committed_pages_names_a_table():
    """A chapter's credit line links to ``#table-<name>``; a renamed table would leave the link dangling."""
    names, found = set(table_names()), set()
    for path in sorted((REPO_ROOT / "notebooks").glob("*.ipynb")):
        text = json.dumps(json.loads(path.read_text(encoding="utf-8"))["cells"])
        found |= set(re.findall(r"\(#table-([a-z0-9_]+)\)", text))
    assert found and found <= names, sorted(found - names)
