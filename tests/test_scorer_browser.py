"""The policy chapter's in-page option scorer, in headless Chromium: its default ranking is the one
iranrussia.scorer computes from the tables, and moving two sliders re-ranks the options as Python does for
those weights. Reuses the built book, server and browser of tests/test_browser.py."""

from __future__ import annotations

import pytest
from test_browser import browser, site  # noqa: F401 - fixtures

from iranrussia import load, scorer

PAGE = "notebooks/western-policy.html"


@pytest.fixture(scope="module")
def tables():
    return load("policy_option_criteria"), load("policy_option_scores")


def shown(page) -> list[tuple[str, int]]:
    return [
        (item["id"], int(item["rank"]))
        for item in page.eval_on_selector_all(
            "#option-scorer li[data-option-id]",
            "els => els.map(e => ({id: e.dataset.optionId, rank: e.dataset.rank}))",
        )
    ]


def expected(scores, weights) -> list[tuple[str, int]]:
    order = scorer.ranking(scores, weights)
    return list(zip(order["option_id"], order["rank"].astype(int)))


def move(page, criterion: str, value: int) -> None:
    page.eval_on_selector(
        f'#option-scorer input[data-criterion="{criterion}"]',
        "(el, v) => { el.value = String(v); el.dispatchEvent(new Event('input', {bubbles: true})); }",
        value,
    )


def test_scorer_ranks_as_python_by_default_and_after_two_sliders_move(site, browser, tables):  # noqa: F811
    criteria, scores = tables
    _, base = site
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base + PAGE, wait_until="load")
    page.wait_for_selector('#option-scorer[data-ready="true"]')

    weights = scorer.default_weights(criteria)
    labels = page.eval_on_selector_all("#option-scorer label", "els => els.map(e => e.textContent)")
    assert labels == list(criteria["criterion"])
    sliders = page.eval_on_selector_all(
        "#option-scorer input[type=range]", "els => els.map(e => [e.dataset.criterion, Number(e.value)])"
    )
    assert dict(sliders) == weights
    assert shown(page) == expected(scores, weights)

    # Two sliders moved away from their defaults, to values that change the order
    changes = {"supply": 3, "evidence": 1}
    assert all(weights[c] != v for c, v in changes.items())
    for criterion, value in changes.items():
        move(page, criterion, value)
    weights |= changes
    after = expected(scores, weights)
    assert after != expected(scores, scorer.default_weights(criteria))  # the move must matter
    assert shown(page) == after
    # The reset button restores the book's weights and ranking
    page.click("#option-scorer .option-scorer-reset")
    assert shown(page) == expected(scores, scorer.default_weights(criteria))
    page.close()
    assert not errors, errors
