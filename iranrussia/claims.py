"""The claims ledger: the seed articles' claims, one dated verdict each, and the rows that hold the evidence.

Verdicts live in one table, ``data/claims.csv``; the ledger page and every chapter's "Checking the seed
articles' claims" section are generated from it by the functions here, so no two pages can disagree. The
framing question (allies, sanctioned axis or partners of convenience?) has its evidence in
``data/framing_evidence.csv``, rendered by :func:`framing_markdown`.

Text from the tables is escaped before it is put into Markdown (:mod:`iranrussia.page`), so a cell renders
as the text it holds.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import pandas as pd

from .bibliography import read_bibliography
from .data import RowFinder, cell_texts, load, parse_row_refs
from .page import cite, code, escape, strong

VERDICTS = ("supported", "partly supported", "not supported", "cannot tell", "not yet testable")
#: Verdicts that assert something about the evidence, so need rows to rest on.
VERDICTS_NEEDING_EVIDENCE = ("supported", "partly supported", "not supported")
#: Verdicts that leave the claim open, so must say what would settle it.
VERDICTS_OPEN = ("cannot tell", "not yet testable")
SEEDS = (
    "rferl-2022-farda-briefing",
    "wikipedia-iran-russia-relations",
    "winep-2023-rome-elite-criticism",
    "rs-2024-why-russia-wont-save-iran",
    "jpost-2025-araghchi-rudenko",
)
CHAPTER_TITLES = {
    "relationship-at-a-glance": "The relationship at a glance",
    "trade-trajectory": "Trade trajectory",
    "oil-competition": "Oil: partners or competitors?",
    "arms-flows": "Arms flows",
    "iranian-skepticism": "Iranian skepticism",
    "western-policy": "Western policy options",
}
MAX_ROWS_SHOWN = 6  # per reference, on the ledger page; the rest are counted

# How one evidence row is named on the page: parts built from its own cells (presentation only). A part is
# left out when any cell it names is empty.
ROW_LABELS = {
    "events": ("{event_id}", "{date}:", "{description}"),
    "trade_bilateral": ("{period_label} ({calendar}),", "{reporter},", "{flow}:", "US$ {value_musd} m"),
    "trade_bilateral_growth": ("{period_label} ({calendar}),", "{reporter},", "{flow}:", "{growth_pct}%"),
    "trade_partners": ("{period_label},", "{country} with {partner},", "{reporter},", "{flow}:", "US$ {value_musd} m"),
    "trade_deals": ("{deal_id}", "{title}:", "{status}", "as of {status_as_of}"),
    "trade_investment": ("{period_label},", "{reporter},", "{measure}:", "US$ {value_musd} m"),
    "trade_composition": (
        "{period_label},",
        "{reporter},",
        "{direction},",
        "{product_group}:",
        "{share_pct}%",
        "US$ {value_musd} m",
    ),
    "trade_corridor_volumes": ("{period_label},", "{route}", "({reporter}):", "{volume_kt} thousand tonnes"),
    "oil_flows": (
        "{row_id}",
        "{period_label},",
        "{exporter} to {destination},",
        "{measure}:",
        "{value} {unit}",
        "({reporter})",
    ),
    "arms_deals": (
        "{deal_id}:",
        "{supplier} to {recipient},",
        "{weapon_designation},",
        "ordered {year_ordered},",
        "{number_delivered} delivered",
        "of {number_ordered} ordered",
        "(SIPRI {sipri_release} release,",
        "{record})",
    ),
    "arms_tiv_annual": (
        "{year},",
        "{supplier} to {recipient}:",
        "{tiv_millions} million TIV",
        "(SIPRI {sipri_release} release, {calculation})",
    ),
    "arms_iran_imports_by_supplier": (
        "{period_start}–{period_end},",
        "{supplier} to {recipient}:",
        "{tiv_millions} million TIV",
        "(SIPRI {sipri_release} release)",
    ),
    "arms_russia_exports_by_recipient": (
        "{period_start}–{period_end},",
        "{supplier} to {recipient}:",
        "{tiv_millions} million TIV",
        "(SIPRI {sipri_release} release)",
    ),
    "drones_milestones": ("{milestone_id}", "{date}:", "{event}", "({claimant})", "{figure} {figure_unit}"),
    "drones_monthly": (
        "{month}:",
        "{launched} drones launched (Ukrainian Air Force reports)",
    ),
    "drones_components": ("{evidence_id}", "{reported},", "{examiner}:", "{metric}", "{value} {unit}"),
    "opinion_polls": ("{poll_row_id}", "{pollster},", "{fieldwork_end}:", "{question}", "{response}:", "{share_pct}%"),
    "opinion_elite_statements": (
        "{statement_id}",
        "{date},",
        "{speaker}",
        "({role_at_time};",
        "{stance}):",
        "{summary}",
    ),
    "policy_actions": ("{action_id}", "{date},", "{actor}", "{instrument}:", "{target}"),
    "policy_options": ("{option_id}:", "{option}"),
    "policy_designations": ("{action_date},", "{entry_type}:", "{new_listings} new listings"),
    "policy_sdn_monthly": ("{month}",),
}
_LABEL_FIELD = re.compile(r"\{(\w+)\}")
# A figure: digits not glued to a word or to a designation (Su-35, Shahed-136), not the end of a span of
# years (2016-21) and not the day of a date (14 July).
_CLAIM_ID = re.compile(r"\b[A-Z]+[0-9]{2}-[0-9]{2}\b")
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_FIGURE = re.compile(
    r"(?<![\w.])(?<![A-Za-z]-)(?<!\d{4}-)(?<!\d{4}–)\d[\d,]*(?:\.\d+)?(?!\d|,\d)(?!\s*(?:" + _MONTHS + r")\b)"
)


@lru_cache(maxsize=1)
def _claims() -> pd.DataFrame:
    return load("claims")


def load_claims() -> pd.DataFrame:
    """The claims table, loaded and checked once per process (a copy, so callers may change it)."""
    return _claims().copy()


@cache
def _table(name: str) -> RowFinder:
    """A referenced table, loaded once per process, with the lookups that find the rows references name."""
    return RowFinder(load(name))


def evidence(cell: str | None) -> list[tuple[str, str, pd.DataFrame]]:
    """(table, reference text, matching rows) for each reference in an evidence cell, in the cell's order."""
    return [(ref.table, ref.text, _table(ref.table).select(ref)) for ref in parse_row_refs(cell)]


def row_labels(table: str, rows: pd.DataFrame, width: int = 170) -> list[str]:
    """A one-line name for each evidence row, built from its own cells (plain text, not yet escaped)."""
    text = cell_texts(rows)
    manifest = rows.attrs.get("manifest")
    for column in manifest.columns if manifest is not None else ():
        # quantities with thousands separators (6,600 drones); years and other counters of time as written
        if column.type in ("integer", "number") and "year" not in (column.unit or ""):
            text[column.name] = [_quantity(v) for v in rows[column.name]]
    parts = ROW_LABELS.get(table, tuple("{" + c + "}" for c in list(rows.columns)[:3]))
    labels = []
    for i in range(len(rows)):
        kept = []
        for part in parts:
            fields = _LABEL_FIELD.findall(part)
            if all(text.get(f, [""] * len(rows))[i] for f in fields):
                kept.append(_LABEL_FIELD.sub(lambda m, i=i: text[m.group(1)][i], part))
        label = " ".join(" ".join(kept).split())
        labels.append(label if len(label) <= width else label[: width - 1].rstrip() + "…")
    return labels


def _quantity(value) -> str:
    if pd.isna(value):
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def evidence_text(rows: pd.DataFrame) -> str:
    """All the cells of the evidence rows as one text (for checking that quoted figures come from them)."""
    return " ".join(" ".join(texts) for texts in cell_texts(rows).values())


def figures(text: str) -> set[float]:
    """The numbers written in ``text`` ('4,880' and '4880' are the same figure)."""
    found = set()
    text = _CLAIM_ID.sub(" ", text)  # identifiers such as RS24-07 are not figures
    for token in _FIGURE.findall(text):
        try:
            found.add(float(token.replace(",", "").rstrip(".")))
        except ValueError:
            continue
    return found


def unsupported_figures(claim: pd.Series) -> set[float]:
    """Figures in a claim's reasoning that appear neither in its evidence rows nor in the claim itself.

    Years are dates, not figures, and are allowed: Gregorian 1500–2100 and, written without a separator,
    Iranian 1300–1420; so are the digits 1–3 of small counts. A claim's figure in billions may be restated
    in millions (US$ 3.7 bn as US$ 3,700 million).
    """
    allowed = figures(str(claim["claim"]))
    allowed |= {round(f * 1000, 6) for f in allowed}
    for _, _, rows in evidence(claim["evidence"]):
        allowed |= figures(evidence_text(rows))  # numeric cells included, written as in the CSV
    quoted = figures(str(claim["reasoning"]))
    iranian_years = {
        float(t)
        for t in re.findall(r"(?<![\d,.])1[34]\d\d(?![\d,]|\.\d)", str(claim["reasoning"]))
        if 1300 <= int(t) <= 1420
    }
    return {f for f in quoted - allowed - iranian_years if not (f.is_integer() and (1500 <= f <= 2100 or f <= 3))}


def _verdict_phrase(claim: pd.Series) -> str:
    now = f"{strong(claim['verdict'])} as of {claim['verdict_as_of']:%-d %B %Y}"
    then = claim["verdict_when_made"]
    made = _made_on_text(claim)
    if then == claim["verdict"]:
        return f"{now} (the same when made, {made})"
    return f"{now}; {escape(then)} when made ({made})"


def _made_on_text(claim: pd.Series) -> str:
    fmt = {"day": "%-d %B %Y", "month": "%B %Y", "year": "%Y"}[claim["made_on_precision"]]
    return claim["made_on"].strftime(fmt)


def claim_target(claim_id: str) -> str:
    """The label of a claim's entry on the ledger page (``ValueError`` for an id not of the form RFERL22-01).

    The id goes verbatim into a MyST target and a {ref} role, so its form is checked here, not escaped.
    """
    if not isinstance(claim_id, str) or not _CLAIM_ID.fullmatch(claim_id):
        raise ValueError(f"{claim_id!r} is not a claim id (letters, two digits, '-', two digits)")
    return "claim-" + claim_id.lower()


def _publication(key: str) -> str:
    entry = read_bibliography()[key]
    outlet = entry.fields.get("howpublished", "").split("(")[0].strip()
    return f"{outlet}, {entry.fields['title']}"


def chapter_section(chapter: str, claims: pd.DataFrame | None = None) -> str:
    """The Markdown of a chapter's claims section: its claims from the ledger, each with its one verdict."""
    claims = load_claims() if claims is None else claims
    own = claims[claims["chapter"] == chapter]
    if own.empty:
        raise ValueError(f"the claims table assigns no claim to chapter {chapter!r}")
    lines = ["| Claim | Verdict | Why | Evidence |", "|---|---|---|---|"]
    for _, claim in own.iterrows():
        # the references' text only: the claims table's own check (load) has found their rows
        refs = "; ".join(escape(ref.text) for ref in parse_row_refs(claim["evidence"])) or "none in the tables"
        lines.append(
            f"| {{ref}}`{claim['claim_id']} <{claim_target(claim['claim_id'])}>`: {escape(claim['claim'])} "
            f"{cite([claim['made_by']])} | {_verdict_phrase(claim)} | {escape(claim['reasoning'])} | "
            f"{refs} |"
        )
    return "\n".join(lines)


def verdict_counts(claims: pd.DataFrame) -> pd.DataFrame:
    """Claims by publication (rows) and verdict (columns, in the fixed order), with totals."""
    table = pd.crosstab(claims["made_by"], pd.Categorical(claims["verdict"], categories=VERDICTS), dropna=False)
    order = [k for k in SEEDS if k in table.index] + sorted(set(table.index) - set(SEEDS))
    table = table.loc[order]
    table.columns = list(VERDICTS)
    table["all"] = table.sum(axis=1)
    table.loc["all"] = table.sum()
    return table


def ledger_markdown(claims: pd.DataFrame | None = None) -> str:
    """The ledger page's body: every claim, grouped by the publication that made it, in id order."""
    claims = load_claims() if claims is None else claims
    parts = []
    order = [k for k in SEEDS if k in set(claims["made_by"])] + sorted(set(claims["made_by"]) - set(SEEDS))
    for key in order:
        group = claims[claims["made_by"] == key].sort_values("claim_id")
        parts.append(
            f"## {escape(_publication(key))}\n\n"
            f"Made {_made_on_text(group.iloc[0])} {cite([key])}; {len(group)} claims.\n"
        )
        for _, claim in group.iterrows():
            parts.append(_ledger_entry(claim))
    return "\n".join(parts)


def _ledger_entry(claim: pd.Series) -> str:
    cid = claim["claim_id"]
    chapter = claim["chapter"]
    out = [
        f"({claim_target(cid)})=",
        f"### {escape(cid)}: {escape(claim['claim'])}",
        "",
        f"- **Verdict:** {_verdict_phrase(claim)}.",
        f"- **Why:** {escape(claim['reasoning'])}",
    ]
    if claim["sources"] is not pd.NA and claim["sources"]:
        out[-1] += f" {cite(k.strip() for k in claim['sources'].split(';'))}"
    if claim["settle_by"] is not pd.NA and claim["settle_by"]:
        out.append(f"- **What would settle it:** {escape(claim['settle_by'])}")
    out.append(f"- **Chapter:** {{doc}}`{CHAPTER_TITLES[chapter]} <{chapter}>`, section {{ref}}`claims-{chapter}`")
    refs = evidence(claim["evidence"])
    if not refs:
        out.append("- **Evidence:** none in the book's tables.")
    else:
        out.append("- **Evidence** (rows of the book's tables; see the {doc}`data dictionary <data-dictionary>`):")
        for table, text, rows in refs:
            sources = (
                sorted({k for cell in rows["source"].dropna() for k in str(cell).split(";")})
                if "source" in rows.columns
                else []
            )
            citation = f" {cite(sources)}" if sources else ""
            shown = [escape(label) for label in row_labels(table, rows.head(MAX_ROWS_SHOWN))]
            more = f"; and {len(rows) - MAX_ROWS_SHOWN} more rows" if len(rows) > MAX_ROWS_SHOWN else ""
            out.append(f"  - {code(text)}: {'; '.join(shown)}{more}{citation}")
    return "\n".join(out) + "\n"


def framing_markdown(framing: pd.DataFrame | None = None) -> str:
    """The framing question's evidence table: one row per dimension, with its rows, reading and what would change it."""
    framing = load("framing_evidence") if framing is None else framing
    lines = [
        "| Dimension | What the data show | Reading | What would change it | Evidence rows |",
        "|---|---|---|---|---|",
    ]
    for _, row in framing.iterrows():
        refs = "; ".join(escape(text) for _, text, _ in evidence(row["evidence"]))
        lines.append(
            f"| {escape(row['dimension'])} | {escape(row['finding'])} | "
            f"{strong(row['reading'])} | {escape(row['would_change'])} | {refs} |"
        )
    return "\n".join(lines)
