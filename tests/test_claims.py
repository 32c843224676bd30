"""The claims ledger: one verdict per claim, resting on rows that exist, shown the same on every page.

The loader already checks that every evidence reference names an existing row (tests/test_loader.py); these
tests hold the book's own ledger to its contract and check that no chapter states a verdict of its own.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from iranrussia import load
from iranrussia.claims import (
    CHAPTER_TITLES,
    SEEDS,
    VERDICTS_NEEDING_EVIDENCE,
    VERDICTS_OPEN,
    chapter_section,
    evidence,
    figures,
    framing_markdown,
    ledger_markdown,
    unsupported_figures,
)
from iranrussia.data import split_source_keys
from iranrussia.page import escape
from iranrussia.paths import NOTEBOOKS_DIR

CLAIMS = load("claims")
BY_ID = CLAIMS.set_index("claim_id")


def notebook(stem: str) -> list[dict]:
    return json.loads((NOTEBOOKS_DIR / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]


def test_every_seed_has_at_least_two_claims():
    counts = CLAIMS["made_by"].value_counts()
    assert {key: int(counts.get(key, 0)) for key in SEEDS if counts.get(key, 0) < 2} == {}


def test_every_owning_chapter_is_a_page_of_the_book():
    assert set(CLAIMS["chapter"]) <= set(CHAPTER_TITLES)
    for stem in set(CLAIMS["chapter"]):
        assert (NOTEBOOKS_DIR / f"{stem}.ipynb").is_file(), stem


@pytest.mark.parametrize("claim_id", CLAIMS["claim_id"])
def test_a_verdict_on_the_evidence_rests_on_rows(claim_id):
    claim = BY_ID.loc[claim_id]
    if claim["verdict"] in VERDICTS_NEEDING_EVIDENCE:
        assert evidence(claim["evidence"]), f"{claim_id}: '{claim['verdict']}' with no evidence rows"


@pytest.mark.parametrize("claim_id", CLAIMS["claim_id"])
def test_an_open_claim_says_what_would_settle_it(claim_id):
    claim = BY_ID.loc[claim_id]
    if claim["verdict"] in VERDICTS_OPEN:
        assert not pd.isna(claim["settle_by"]) and len(claim["settle_by"]) > 20, claim_id


@pytest.mark.parametrize("claim_id", CLAIMS["claim_id"])
def test_a_seed_is_never_its_own_evidence(claim_id):
    # At least one evidence row of a judged claim must rest on a source other than the seed articles.
    claim = BY_ID.loc[claim_id]
    if claim["verdict"] not in VERDICTS_NEEDING_EVIDENCE:
        return
    independent = [
        table + ":" + text
        for table, text, rows in evidence(claim["evidence"])
        if any(set(split_source_keys(cell)) - set(SEEDS) for cell in rows["source"].dropna())
    ]
    assert independent, f"{claim_id}: every evidence row is sourced only to a seed article"


@pytest.mark.parametrize("claim_id", CLAIMS["claim_id"])
def test_figures_in_the_reasoning_are_those_of_the_evidence_rows(claim_id):
    assert unsupported_figures(BY_ID.loc[claim_id]) == set(), (
        f"{claim_id}: figures quoted in the reasoning appear in no evidence row nor in the claim"
    )


def test_the_figure_check_catches_a_figure_no_row_holds():
    claim = CLAIMS.iloc[0].copy()
    claim["reasoning"] = str(claim["reasoning"]) + " Trade reached 987,654.3 that year."
    assert 987654.3 in unsupported_figures(claim)


def test_figures_reads_thousands_separators_and_skips_designations():
    assert figures("US$ 4,880 m, 15-20%, Su-35 and Shahed-136, 3.44%") == {4880.0, 15.0, 20.0, 3.44}


def test_text_from_data_is_escaped_before_it_becomes_markdown():
    # Rendered by a CommonMark parser with raw HTML allowed, the escaped text must come out as text only.
    from markdown_it import MarkdownIt

    hostile = "<script>alert(1)</script> <img src=x onerror=y> [link](javascript:y) **bold** `code` | cell"
    html = MarkdownIt("commonmark", {"html": True}).render(escape(hostile))
    for tag in ("<script", "<img", "<a ", "<strong", "<code"):
        assert tag not in html, tag
    assert "{cite}" not in escape("{cite}`key`")  # no MyST role either


def markdown_output(output: dict) -> str:
    text = output.get("data", {}).get("text/markdown", "")
    return "".join(text) if isinstance(text, list) else text


def generated_outputs(stem: str) -> str:
    return "\n".join(markdown_output(o) for c in notebook(stem) for o in c.get("outputs", []))


@pytest.mark.parametrize("stem", sorted(set(CLAIMS["chapter"])))
def test_chapter_claims_section_is_the_generated_one(stem):
    chapter = notebook(stem)
    head = next(
        i
        for i, c in enumerate(chapter)
        if c["cell_type"] == "markdown" and "## Checking the seed articles' claims" in "".join(c["source"])
    )
    generator = chapter[head + 1]
    assert generator["cell_type"] == "code" and f'chapter_section("{stem}")' in "".join(generator["source"])
    # and what the page shows is what the table says today
    shown = "".join(markdown_output(o) for o in generator.get("outputs", []))
    assert shown == chapter_section(stem), f"{stem}: re-run the notebook (python3 tasks.py execute)"


# A verdict word set in bold, or a table or frame column named Verdict, is a verdict written by hand.
HAND_VERDICT = re.compile(
    r"(?i:\*\*(supported|partly supported|not supported|cannot tell|not yet testable)\*\*)|"
    r"\|\s*Verdict\s*\||\"Verdict\""
)


@pytest.mark.parametrize("path", sorted(NOTEBOOKS_DIR.glob("*.ipynb")), ids=lambda p: p.name)
def test_no_page_writes_a_verdict_by_hand(path: Path):
    for index, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
        source = "".join(cell["source"])
        if path.stem == "claims-ledger" and cell["cell_type"] == "markdown" and source.startswith("## How to read"):
            continue  # the legend defines the five verdicts
        assert not HAND_VERDICT.search(source), f"cell {index} states a verdict by hand: use the claims table"


CLAIM_IN_TABLE = re.compile(r"\{ref\}`(?P<id>[A-Z]+\d{2}-\d{2}) <[^>]+>`.*?\| \*\*(?P<verdict>[a-z ]+)\*\* as of")


@pytest.mark.parametrize("stem", sorted(set(CLAIMS["chapter"])))
def test_every_page_shows_each_claim_with_the_ledger_verdict(stem):
    shown = {m["id"]: m["verdict"] for m in CLAIM_IN_TABLE.finditer(generated_outputs(stem))}
    own = CLAIMS[CLAIMS["chapter"] == stem].set_index("claim_id")["verdict"].to_dict()
    assert shown == own


def test_ledger_page_lists_every_claim_once_with_its_verdict():
    text = generated_outputs("claims-ledger")
    assert text.count("(claim-") == len(CLAIMS)
    for claim_id, claim in BY_ID.iterrows():
        entry = text.split(f"### {claim_id}:")[1].split("\n###")[0]
        assert f"**Verdict:** **{claim['verdict']}** as of" in entry, claim_id
    assert ledger_markdown() in text, "re-run notebooks/claims-ledger.ipynb"


def test_framing_evidence_is_rendered_on_the_relationship_page():
    assert framing_markdown() in generated_outputs("relationship-at-a-glance")


def test_the_ledger_keeps_its_structure_once_escaped():
    # Escaping must reach data text only: the ledger's own lists, bold labels and code spans stay markup.
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    markdown = ledger_markdown(CLAIMS)
    tokens = [
        t
        for tok in create_md_parser(MdParserConfig(), RendererHTML).parse(markdown)
        for t in [tok, *(tok.children or [])]
    ]
    text = " ".join(t.content for t in tokens if t.type == "text")
    assert "**" not in text and "\\" not in text and "{cite" not in text
    n_claims = len(CLAIMS)
    assert sum(t.type == "strong_open" for t in tokens) >= 3 * n_claims  # Verdict, Why, Chapter at least
    # Each claim with evidence rows has them as a nested list of code-labelled items.
    with_evidence = int(CLAIMS["evidence"].notna().sum())
    nested = [t for t in tokens if t.type == "bullet_list_open" and t.level > 0]
    assert len(nested) >= with_evidence
    assert sum(t.type == "code_inline" for t in tokens) >= with_evidence
    roles = [t for t in tokens if t.type == "myst_role" and t.meta.get("name") == "cite:p"]
    assert len(roles) >= n_claims
