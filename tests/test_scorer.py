"""The option scorer (iranrussia.scorer) on a tiny example worked out by hand, and the book's score tables.

The tiny example: three options and two criteria, scores A = (3, 0), B = (0, 3), C = (2, 2).
With weights (1, 1): A 3, B 3, C 4, so C first, then A and B tied (A before B by id), ranks 1, 2, 2.
With weights (1, 0): A 3, C 2, B 0. With weights (0, 1): B 3, C 2, A 0.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from iranrussia import load, scorer
from iranrussia.data import parse_row_refs


def tiny() -> pd.DataFrame:
    rows = [("A", "x", 3), ("A", "y", 0), ("B", "x", 0), ("B", "y", 3), ("C", "x", 2), ("C", "y", 2)]
    return pd.DataFrame(rows, columns=["option_id", "criterion_id", "score"])


def test_totals_are_weighted_sums():
    assert scorer.totals(tiny(), {"x": 2, "y": 1}).to_dict() == {"A": 6, "B": 3, "C": 6}


def test_totals_refuse_a_criterion_without_weight():
    with pytest.raises(KeyError, match="y"):
        scorer.totals(tiny(), {"x": 1})


def test_ranking_orders_by_total_then_id_and_ties_share_a_rank():
    order = scorer.ranking(tiny(), {"x": 1, "y": 1})
    assert list(order["option_id"]) == ["C", "A", "B"]
    assert list(order["total"]) == [4, 3, 3]
    assert list(order["rank"]) == [1, 2, 2]
    assert list(scorer.ranking(tiny(), {"x": 1, "y": 0})["option_id"]) == ["A", "C", "B"]
    assert list(scorer.ranking(tiny(), {"x": 0, "y": 1})["rank"]) == [1, 2, 3]


def test_ranking_breaks_ties_by_id_whatever_the_row_order():
    shuffled = tiny().iloc[::-1].reset_index(drop=True)
    assert list(scorer.ranking(shuffled, {"x": 2, "y": 1})["option_id"]) == ["A", "C", "B"]


def test_weight_grid_leaves_out_only_all_zero():
    assert scorer.weight_grid(["x", "y"], (0, 1)) == [{"x": 0, "y": 1}, {"x": 1, "y": 0}, {"x": 1, "y": 1}]
    assert len(scorer.weight_grid(["x", "y"])) == 15  # 4 * 4 - 1
    assert len(scorer.weight_grid(list("abcde"))) == 1023  # 4 ** 5 - 1


def test_sensitivity_on_two_levels():
    # (0,1): B, C, A -> ranks A 3, B 1, C 2; (1,0): A 1, C 2, B 3; (1,1): C 1, A 2, B 2
    got = scorer.sensitivity(tiny(), ["x", "y"], (0, 1)).set_index("option_id")
    assert got.loc["A", ["best_rank", "worst_rank"]].tolist() == [1, 3]
    assert got.loc["B", ["best_rank", "worst_rank"]].tolist() == [1, 3]
    assert got.loc["C", ["best_rank", "worst_rank"]].tolist() == [1, 2]
    assert got["share_first"].tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3])
    assert set(got["n_weightings"]) == {3}


def test_sensitivity_counts_ties_for_first():
    # Levels 0-2, 8 weightings. C is first alone at (1,1) and (2,2), tied first at (2,1) with A and at (1,2)
    # with B: 4 of 8. A is first at (1,0), (2,0), (2,1): 3 of 8; B at (0,1), (0,2), (1,2): 3 of 8.
    got = scorer.sensitivity(tiny(), ["x", "y"], (0, 1, 2)).set_index("option_id")
    assert got["share_first"].to_dict() == pytest.approx({"A": 3 / 8, "B": 3 / 8, "C": 4 / 8})
    assert got.loc["C", "worst_rank"] == 2


def test_script_json_cannot_close_the_script_element():
    hostile = {"text": "</script><script>alert(1)</script> & <!-- \u2028"}
    text = scorer.script_json(hostile)
    for raw in ("<", ">", "&", "\u2028"):
        assert raw not in text
    assert json.loads(text) == hostile


def test_tool_html_carries_data_only_as_escaped_json():
    payload = {"options": [{"id": "PO01", "text": "</script><img src=x onerror=alert(1)>"}]}
    html = scorer.tool_html(payload)
    assert html.count("</script>") == 1 and html.endswith("</script>")
    assert "<img" not in html
    assert 'id="option-scorer"' in html and 'id="option-scorer-data"' in html
    with pytest.raises(ValueError):
        scorer.tool_html(payload, element_id='x" onmouseover="alert(1)')


# The book's own tables


@pytest.fixture(scope="module")
def book():
    return load("policy_option_criteria"), load("policy_option_scores"), load("policy_options")


def test_every_option_has_one_score_per_criterion(book):
    criteria, scores, options = book
    expected = {(o, c) for o in options["option_id"] for c in criteria["criterion_id"]}
    got = list(zip(scores["option_id"], scores["criterion_id"]))
    assert len(got) == len(set(got)) and set(got) == expected


def test_each_score_names_its_option_row_first_and_its_rows_sources(book):
    _, scores, options = book
    tables = {"policy_options": options}
    for row in scores.itertuples():
        refs = parse_row_refs(row.evidence)
        assert refs[0].text == f"policy_options:{row.option_id}", row
        keys = row.sources.split(";")
        for ref in refs:
            if ref.table not in tables:
                tables[ref.table] = load(ref.table)
            table = tables[ref.table]
            key = table.attrs["manifest"].primary_key[0]
            cells = table.loc[table[key].astype(str) == ref.where[0][1], "source"]
            assert len(cells) == 1, ref.text
            missing = set(cells.iloc[0].split(";")) - set(keys)
            assert not missing, f"{row.option_id}/{row.criterion_id}: sources lack {missing} of {ref.text}"


def test_evidence_and_done_scores_follow_the_options_table(book):
    # The two criteria that restate a column of policy_options must agree with it, point for point.
    _, scores, options = book
    reading = {"evidence for": 3, "mixed": 2, "no evidence in this book": 1, "evidence against": 0}
    done = {"yes": 3, "partly": 2, "unknown": 1, "no": 0}
    by_option = options.set_index("option_id")
    for row in scores.itertuples():
        if row.criterion_id == "evidence":
            assert row.score == reading[by_option.loc[row.option_id, "evidence_reading"]], row.option_id
        if row.criterion_id == "done":
            assert row.score == done[by_option.loc[row.option_id, "implemented"]], row.option_id


def test_default_weights_reproduce_the_chapters_reading(book):
    # The chapter's verdict on the options is its reading of the evidence: under the default weights every
    # option read "evidence for" comes before every "mixed" one, and every "mixed" before "no evidence".
    criteria, scores, options = book
    order = scorer.ranking(scores, scorer.default_weights(criteria))
    grade = {"evidence for": 0, "mixed": 1, "no evidence in this book": 2, "evidence against": 3}
    readings = order["option_id"].map(options.set_index("option_id")["evidence_reading"]).map(grade)
    assert readings.is_monotonic_increasing, list(zip(order["option_id"], readings))
    # The chapter gives no order within a reading: options with the same reading share one rank, and no two
    # readings share a rank.
    band_ranks = order.groupby(readings)["rank"]
    assert (band_ranks.nunique() == 1).all(), list(zip(order["option_id"], readings, order["rank"]))
    assert band_ranks.first().is_unique, list(zip(order["option_id"], readings, order["rank"]))
    assert order["rank"].iloc[0] == 1 and order["rank"].iloc[1] > 1  # a single option on top
