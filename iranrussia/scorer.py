"""Weigh the policy options: weighted scores, rankings, and how rankings move as the weights change.

The book scores each option of ``policy_options`` on each criterion of ``policy_option_criteria`` (table
``policy_option_scores``). An option's total is the sum over criteria of weight times score. Options are
ordered by total, highest first, ties broken by option id (``PO01`` before ``PO02``); the in-page scorer
(``_static/option-scorer.js``) orders them the same way. An option's rank is one plus the number of options
with a strictly higher total, so tied options share a rank.

Usage in a notebook::

    from iranrussia import scorer
    order = scorer.ranking(scores, scorer.default_weights(criteria))
    spread = scorer.sensitivity(scores, list(criteria["criterion_id"]))
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

LEVELS = (0, 1, 2, 3)  # the weights the sensitivity grid tries for each criterion


def default_weights(criteria: pd.DataFrame) -> dict[str, int]:
    """The book's default weight of each criterion, in the criteria table's order."""
    return {c: int(w) for c, w in zip(criteria["criterion_id"], criteria["default_weight"])}


def totals(scores: pd.DataFrame, weights: Mapping[str, float]) -> pd.Series:
    """Each option's weighted total (index: option_id). A criterion the weights do not name is an error."""
    unknown = set(scores["criterion_id"]) - set(weights)
    if unknown:
        raise KeyError(f"no weight for criteria {sorted(unknown)}")
    weighted = scores["score"].astype(int) * scores["criterion_id"].map(weights)
    return weighted.groupby(scores["option_id"]).sum()


def ranking(scores: pd.DataFrame, weights: Mapping[str, float]) -> pd.DataFrame:
    """Options in order (total descending, then option id), with total and rank (ties share the best rank)."""
    total = totals(scores, weights)
    frame = pd.DataFrame({"option_id": total.index.astype(str), "total": total.to_numpy()})
    frame = frame.sort_values("option_id", kind="mergesort").sort_values("total", ascending=False, kind="mergesort")
    frame["rank"] = frame["total"].rank(method="min", ascending=False).astype(int)
    return frame.reset_index(drop=True)


def weight_grid(criteria: Sequence[str], levels: Sequence[int] = LEVELS) -> list[dict[str, int]]:
    """Every weighting with each criterion at one of ``levels``, except the one where all are zero."""
    grid = [dict(zip(criteria, combo)) for combo in itertools.product(levels, repeat=len(criteria))]
    return [weights for weights in grid if any(weights.values())]


def sensitivity(scores: pd.DataFrame, criteria: Sequence[str], levels: Sequence[int] = LEVELS) -> pd.DataFrame:
    """Over the weight grid, each option's best and worst rank and the share of weightings in which it ranks
    first (alone or tied). Rows in the order of the given scores' option ids."""
    grid = weight_grid(criteria, levels)
    table = scores.pivot(index="option_id", columns="criterion_id", values="score")
    options = list(dict.fromkeys(scores["option_id"]))
    matrix = table.loc[options, list(criteria)].to_numpy(dtype=float)  # options x criteria
    weights = np.array([[w[c] for c in criteria] for w in grid], dtype=float)  # weightings x criteria
    total = weights @ matrix.T  # weightings x options
    # rank = 1 + how many options have a strictly higher total, as in ranking()
    ranks = 1 + (total[:, None, :] > total[:, :, None]).sum(axis=2)
    return pd.DataFrame(
        {
            "option_id": options,
            "best_rank": ranks.min(axis=0),
            "worst_rank": ranks.max(axis=0),
            "share_first": (ranks == 1).mean(axis=0),
            "n_weightings": len(grid),
        }
    )


def script_json(data: object) -> str:
    """``data`` as JSON safe inside a ``<script>`` element: ``<``, ``>``, ``&`` and the two JavaScript line
    separators are written as ``\\u`` escapes, so no value can close the element or start a comment."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    for char in ("<", ">", "&", "\u2028", "\u2029"):
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def tool_payload(criteria: pd.DataFrame, options: pd.DataFrame, scores: pd.DataFrame) -> dict:
    """What the in-page scorer needs: criteria (id, label, scale, default weight), options (id, text), scores."""
    return {
        "levels": [min(LEVELS), max(LEVELS)],
        "criteria": [
            {"id": r.criterion_id, "label": r.criterion, "scale": r.scale, "weight": int(r.default_weight)}
            for r in criteria.itertuples()
        ],
        "options": [{"id": r.option_id, "text": r.option} for r in options.itertuples()],
        "scores": {
            oid: {r.criterion_id: int(r.score) for r in part.itertuples()}
            for oid, part in scores.groupby("option_id", sort=True)
        },
    }


def tool_html(payload: dict, element_id: str = "option-scorer") -> str:
    """The in-page scorer's container, its data as JSON, and a note for readers without JavaScript. The id is
    the book's own constant; every data value goes through :func:`script_json`."""
    if not re.fullmatch(r"[a-z][a-z0-9-]*", element_id):
        raise ValueError(f"element id {element_id!r} must be lowercase letters, digits and '-'")
    return (
        f'<div class="option-scorer" id="{element_id}" data-scorer-data="{element_id}-data">'
        '<p class="option-scorer-fallback">The in-page scorer needs JavaScript; the tables above give the '
        "default ranking and how it changes with the weights.</p></div>"
        f'<script type="application/json" id="{element_id}-data">{script_json(payload)}</script>'
    )
