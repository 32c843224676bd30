"""``arms_deals``: the deal register, both directions, from SIPRI's trade registers.

Deals come from the newest trade register (``record = current``); deals an older register lists and the
newest no longer does are kept (``dropped``), and for the wartime deals the differing versions of older
releases too (``superseded``). The book's words on a deal (description, notes, press keys) are not in this
code: they are the hand-kept table ``arms_deal_annotations``, joined on (supplier, recipient, designation).
Deals SIPRI does not list (``record = press_only``) are hand rows of ``arms_deals`` itself: the builder
keeps them as the committed table has them and replaces every other row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from iranrussia.data import split_source_keys

from .read import DEAL_ID, Exports
from .scope import BELARUS, FIRST_YEAR, IRAN, RUSSIA, SOURCE_KEY, USSR, WAR_YEAR

TABLE = "arms_deals"
ANNOTATIONS = "arms_deal_annotations"
HAND_RECORD = "press_only"
CODES = {USSR: "SU", RUSSIA: "RU", IRAN: "IR", BELARUS: "BY"}

# weapon_category from SIPRI's weapon description: first matching pattern wins.
CATEGORY_RULES = [
    (r"drone|UAV", "uav"),
    (r"helicopter", "helicopter"),
    (r"aircraft", "aircraft"),
    (r"SAM system|surface-to-air missile system|air-defence system", "air_defence_system"),
    (r"missile", "missile"),
    (r"radar|air-search system|air search system", "sensor"),
    (r"turret", "turret"),
    (r"tank|infantry fighting vehicle|armoured personnel carrier|APC|IFV\b", "armoured_vehicle"),
    (r"submarine|ship|frigate|corvette|boat", "naval"),
    (r"gun|howitzer|mortar|rocket launcher", "artillery"),
    (r"engine", "engine"),
]

# Fields whose change between releases makes an older release's version of a deal worth keeping.
VERSION_FIELDS = ["number_ordered", "number_delivered", "delivery_years", "tiv_per_unit"]


# ==================================================================================================
# The book's hand-kept inputs (data/, not the raw exports)
# ==================================================================================================


@dataclass(frozen=True)
class Annotation:
    description: str  # '' -> the plain template of describe()
    sipri_note: str
    press_keys: tuple[str, ...]
    press_note: str


def _text(value) -> str:
    return "" if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)) else str(value)


def annotations_from_table(frame: pd.DataFrame) -> dict[tuple[str, str, str], Annotation]:
    """The loaded ``arms_deal_annotations`` table by (supplier, recipient, weapon designation)."""
    out = {}
    for r in frame.itertuples(index=False):
        out[(r.supplier, r.recipient, r.weapon_designation)] = Annotation(
            description=_text(r.description),
            sipri_note=_text(r.sipri_note),
            press_keys=tuple(split_source_keys(_text(r.press_source))),
            press_note=_text(r.press_note),
        )
    return out


def hand_rows(committed: pd.DataFrame) -> pd.DataFrame:
    """The rows of the loaded ``arms_deals`` table the builder keeps: ``record = press_only``, as plain values."""
    kept = committed[committed["record"] == HAND_RECORD]
    return kept.astype(object).where(kept.notna(), None).reset_index(drop=True)


# ==================================================================================================
# Rules
# ==================================================================================================


def describe(designation: str, sipri_desc: str, annotation: Annotation | None = None) -> str:
    """The book's description of a deal: from the annotations where there is one, else a plain template."""
    if annotation is not None and annotation.description:
        return annotation.description
    text = sipri_desc[:1].upper() + sipri_desc[1:]
    return text if designation.lower() == sipri_desc.lower() else f"{text} ({designation})"


def condense_years(years: list[int]) -> str:
    """[1993, 1994, 1996, 1997] -> '1993-1994, 1996-1997'; single years stay single."""
    years = sorted(set(years))
    runs, start, prev = [], None, None
    for y in years:
        if start is None:
            start = prev = y
        elif y == prev + 1:
            prev = y
        else:
            runs.append((start, prev))
            start = prev = y
    if start is not None:
        runs.append((start, prev))
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def parse_year_list(cell: str) -> list[int]:
    return [int(y) for y in re.findall(r"\d{4}", cell or "")]


def weapon_category(description: str) -> str:
    for pattern, category in CATEGORY_RULES:
        if re.search(pattern, description, flags=re.IGNORECASE):
            return category
    return "other"


def deal_status(number_ordered: int | None, number_delivered: int) -> str:
    """delivered: all ordered units delivered; partial: some delivered but fewer than ordered, or the
    number ordered is unknown (open-ended deal); ordered: none delivered yet."""
    if number_delivered == 0:
        return "ordered"
    if number_ordered is None:
        return "partial"
    return "delivered" if number_delivered >= number_ordered else "partial"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _integer(text: str) -> int | None:
    text = text.strip()
    return int(text) if text else None


def _tiv(text: str) -> float | None:
    """A register's TIV cell, rounded to 2 decimals as the table keeps it; None for an empty cell."""
    text = str(text).strip()
    return round(float(text), 2) if text else None


def in_scope(reg: pd.DataFrame) -> pd.DataFrame:
    """Register rows of the chapter: USSR/Russia -> Iran ordered 1980 or later, Iran -> Russia/Belarus."""
    year = pd.to_numeric(reg["Year of order"], errors="coerce")
    to_iran = reg["Supplier"].isin([USSR, RUSSIA]) & (reg["Recipient"] == IRAN) & (year >= FIRST_YEAR)
    from_iran = (reg["Supplier"] == IRAN) & reg["Recipient"].isin([RUSSIA, BELARUS])
    return reg[to_iran | from_iran].copy()


# ==================================================================================================
# Register rows -> deal rows
# ==================================================================================================


def register_to_deals(reg: pd.DataFrame, release: int, record: str) -> list[dict]:
    """One deal row per register row; ``record`` is current (newest release), dropped (older release only) or
    superseded (an older release's version). The book's fields (description, note, source) are :func:`annotate`'s:
    here they hold the plain description and the release's source key only."""
    rows = []
    for _, r in reg.iterrows():
        years = parse_year_list(r["Year(s) of delivery"])
        designation = r["Weapon designation"].strip()
        sipri_desc = r["Weapon description"].strip()
        flags = [r.get(c, "") for c in r.index if c.endswith("uncertain")]
        number_ordered = _integer(r["Number ordered"])
        number_delivered = _integer(r["Number delivered"]) or 0
        rows.append(
            {
                "supplier": r["Supplier"],
                "recipient": r["Recipient"],
                "weapon_designation": designation,
                "weapon_description_sipri": sipri_desc,
                "description": describe(designation, sipri_desc),
                "weapon_category": weapon_category(sipri_desc),
                "year_ordered": _integer(r["Year of order"]),
                "number_ordered": number_ordered,
                "number_delivered": number_delivered,
                "delivery_years": condense_years(years),
                "first_delivery_year": min(years) if years else None,
                "last_delivery_year": max(years) if years else None,
                "status": deal_status(number_ordered, number_delivered),
                "tiv_per_unit": _tiv(r["SIPRI TIV per unit"]),
                "tiv_delivered_millions": _tiv(r["SIPRI TIV of delivered weapons"]),
                "sipri_uncertain": any(str(f).strip() == "?" for f in flags),
                "sipri_release": release,
                "in_latest_release": record == "current",
                "record": record,
                "source": SOURCE_KEY[release],
                "note": None,
            }
        )
    return rows


def _deal_frame(rows: list[dict]) -> pd.DataFrame:
    # object columns: ints stay ints and None stays None (no float NaN creeping into counts and years)
    return pd.DataFrame(rows, dtype=object)


def assign_deal_ids(deals: pd.DataFrame) -> pd.DataFrame:
    """SU|RU|IR-IR|RU|BY-<order year>-<designation slug>, with -1, -2 ... where a key repeats."""
    deals = deals.copy()
    base = [
        f"{CODES[s]}-{CODES[r]}-{y}-{slug(d)}"
        for s, r, y, d in zip(deals["supplier"], deals["recipient"], deals["year_ordered"], deals["weapon_designation"])
    ]
    deals["deal_id"] = base
    counts = pd.Series(base).value_counts()
    order = deals.assign(_fy=pd.to_numeric(deals["first_delivery_year"], errors="coerce")).sort_values(
        ["deal_id", "_fy"], kind="mergesort"
    )
    seen: dict[str, int] = {}
    for idx in order.index:
        b = deals.at[idx, "deal_id"]
        if counts[b] > 1:
            seen[b] = seen.get(b, 0) + 1
            deals.at[idx, "deal_id"] = f"{b}-{seen[b]}"
    return deals


def _match_key(row) -> tuple:
    return (
        row["Supplier"],
        row["Recipient"],
        row["Year of order"],
        row["Number delivered"],
        row.get("SIPRI TIV per unit", ""),
    )


def dropped_rows(older: pd.DataFrame, latest: pd.DataFrame) -> pd.DataFrame:
    """Rows of an older register that have no counterpart in the latest one.

    Rows are paired one-to-one on (supplier, recipient, order year, designation); within a pair group the
    number delivered decides which older rows found a partner. Older rows left over are tried once more on
    (supplier, recipient, order year, number delivered, TIV per unit), which catches renamed designations.
    """

    def key(r):
        return (r["Supplier"], r["Recipient"], r["Year of order"], r["Weapon designation"].strip())

    latest_groups: dict = {}
    for _, r in latest.iterrows():
        latest_groups.setdefault(key(r), []).append(r["Number delivered"])
    leftover = []
    for k, group in older.groupby(older.apply(key, axis=1), sort=False):
        pool = list(latest_groups.get(k, []))
        if len(group) <= len(pool):
            continue
        for idx, r in group.iterrows():
            if r["Number delivered"] in pool:
                pool.remove(r["Number delivered"])
            else:
                leftover.append(idx)
    fallback = {_match_key(r) for _, r in latest.iterrows()}
    keep = [i for i in leftover if _match_key(older.loc[i]) not in fallback]
    return older.loc[keep]


def transfers_as_register(tr: pd.DataFrame) -> pd.DataFrame:
    """Per-delivery-year rows of a transfers export summed to one register-like row per SIPRI deal.

    The transfers layout has no number ordered, so that column stays empty; a deal is uncertain when any of
    its rows marks the order date, the number or the year as an estimate.
    """
    rows = []
    for _, g in tr.groupby(DEAL_ID, sort=True):
        first = g.iloc[0]
        units = sorted(set(g["TIV deal unit"].str.strip()))
        estimate = g[["Order date is estimate", "Numbers delivered is estimate", "Delivery year is estimate"]]
        rows.append(
            {
                "Supplier": first["Supplier"],
                "Recipient": first["Recipient"],
                "Year of order": first["Order date"].strip(),
                "Number ordered": "",
                "Weapon designation": first["Designation"],
                "Weapon description": first["Description"],
                "Number delivered": str(int(pd.to_numeric(g["Numbers delivered"]).sum())),
                "Year(s) of delivery": "; ".join(str(y) for y in sorted(g["delivery_year"])),
                "SIPRI TIV per unit": units[0] if len(units) == 1 else "",
                "SIPRI TIV of delivered weapons": str(round(float(g["tiv"].sum()), 2)),
                "Number delivered uncertain": "?" if (estimate == "Yes").any().any() else "",
            }
        )
    return pd.DataFrame(rows)


def transfers_in_scope(tr: pd.DataFrame) -> pd.DataFrame:
    """The delivery rows of the deals :func:`in_scope` keeps, judged (as :func:`transfers_as_register` does) by
    each deal's first row; so only the chapter's deals are summed, not the whole export."""
    first = tr.drop_duplicates(DEAL_ID, keep="first")
    judged = pd.DataFrame(
        {
            "Supplier": first["Supplier"],
            "Recipient": first["Recipient"],
            "Year of order": first["Order date"].str.strip(),
            DEAL_ID: first[DEAL_ID],
        }
    )
    return tr[tr[DEAL_ID].isin(set(in_scope(judged)[DEAL_ID]))]


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


def _differs(a, b) -> bool:
    return not (_missing(a) and _missing(b)) and (_missing(a) or _missing(b) or a != b)


def superseded_versions(
    older_registers: dict[int, pd.DataFrame],
    transfers: dict[int, pd.DataFrame],
    current: pd.DataFrame,
    latest_release: int,
) -> pd.DataFrame:
    """Older releases' versions of the wartime deals (ordered from WAR_YEAR on), where their numbers differ.

    SIPRI revises its figures each spring; for the deals the war brought (Shahed drones, Fath-360, Yak-130,
    Su-35S ...) the revisions are themselves a finding, so each older version that differs from the next
    newer one in VERSION_FIELDS is kept as its own row (record = superseded, deal id + '-r<release>').
    Sources: older registers (in scope), and the transfers export of a release that has no register here.
    """
    # release -> (register-like rows, from a transfers export?)
    versions: dict[int, tuple[pd.DataFrame, bool]] = {release: (reg, False) for release, reg in older_registers.items()}
    for release, tr in transfers.items():
        if release not in versions and release != latest_release:
            versions[release] = (in_scope(transfers_as_register(transfers_in_scope(tr))), True)
    wartime = current[
        (current["record"] == "current") & (pd.to_numeric(current["year_ordered"], errors="coerce") >= WAR_YEAR)
    ]
    key = ["supplier", "recipient", "year_ordered", "weapon_designation"]
    newer = wartime.set_index(key)
    out = []
    for release in sorted(versions, reverse=True):
        rows, from_transfers = versions[release]
        older = _deal_frame(register_to_deals(rows, release, "superseded"))
        if older.empty:
            continue
        older = older[pd.to_numeric(older["year_ordered"], errors="coerce") >= WAR_YEAR]
        kept = {}
        for _, row in older.iterrows():
            k = tuple(row[c] for c in key)
            if k not in newer.index:
                continue  # not in the newest release: handled as a dropped deal, if at all
            ref = newer.loc[k]
            # a transfers export has no number ordered at all, so its blank is no revision
            changed = [
                f for f in VERSION_FIELDS if _differs(row[f], ref[f]) and not (from_transfers and f == "number_ordered")
            ]
            if not changed:
                continue
            base = wartime.loc[(wartime[key] == pd.Series(k, index=key)).all(axis=1), "deal_id"].iloc[0]
            row = row.copy()
            row["deal_id"] = f"{base}-r{release}"
            # the book's own fields follow the deal (the description: annotate), SIPRI's stay as that release had them
            row["weapon_category"] = ref["weapon_category"]
            row["source"] = SOURCE_KEY[release]
            origin = "per-delivery export, which gives no number ordered" if from_transfers else "trade register"
            row["note"] = (
                f"The deal as SIPRI's {release} release recorded it ({origin}); later releases changed "
                + ", ".join(c.replace("_", " ") for c in changed)
            )
            out.append(row)
            kept[k] = row
        # the next older release is compared with this one where this one was kept
        for k, row in kept.items():
            newer.loc[k, VERSION_FIELDS] = [row[f] for f in VERSION_FIELDS]
    return pd.DataFrame(out, columns=current.columns, dtype=object)


def annotate(deals: pd.DataFrame, annotations: dict[tuple[str, str, str], Annotation]) -> pd.DataFrame:
    """The book's fields of the SIPRI rows of ``deals`` (no hand rows), from ``arms_deal_annotations``.

    For current and dropped rows: the description (the annotation's, else the plain template), the note (the
    annotation's SIPRI note and press note, and for a dropped deal the releases that list it and do not) and the
    source (the release's key, then the annotation's press keys). A superseded row takes the description of the
    deal it is a version of (its id less ``-r<release>``); its note and source say which release it is.
    Everything is read from the rows themselves, so the committed table can be re-annotated without the raw
    exports (``--annotations-only``). An annotation that matches no current or dropped deal is an error.
    """
    deals = deals.copy()
    listed = deals["record"].isin(["current", "dropped"])
    keys = list(zip(deals["supplier"], deals["recipient"], deals["weapon_designation"]))
    unmatched = sorted(set(annotations) - {k for k, is_listed in zip(keys, listed) if is_listed})
    if unmatched:
        raise ValueError(
            f"{ANNOTATIONS}: no SIPRI deal (current or dropped) has the key (supplier, recipient, "
            "weapon_designation) of " + "; ".join(repr(k) for k in unmatched)
        )
    latest_release = max(deals.loc[deals["record"] == "current", "sipri_release"])
    for idx, key in zip(deals.index, keys):
        if not listed[idx]:
            continue
        row, annotation = deals.loc[idx], annotations.get(key)
        parts = [text for text in (annotation.sipri_note, annotation.press_note) if text] if annotation else []
        if row["record"] == "dropped":
            parts.append(f"Listed in SIPRI's {row['sipri_release']} release but not in the {latest_release} release")
        deals.at[idx, "description"] = describe(
            row["weapon_designation"], _text(row["weapon_description_sipri"]), annotation
        )
        deals.at[idx, "note"] = "; ".join(parts) or None
        deals.at[idx, "source"] = ";".join(
            [SOURCE_KEY[row["sipri_release"]], *(annotation.press_keys if annotation else ())]
        )
    by_id = dict(zip(deals["deal_id"], deals["description"]))
    for idx in deals.index[deals["record"] == "superseded"]:
        deals.at[idx, "description"] = by_id[re.sub(r"-r\d{4}$", "", deals.at[idx, "deal_id"])]
    return deals


def build_deals(
    exports: Exports, annotations: dict[tuple[str, str, str], Annotation], hand: pd.DataFrame
) -> pd.DataFrame:
    """Deals from the newest register, deals dropped since an older one and older versions of the wartime
    deals, annotated; then the hand rows (``hand``, kept as they are)."""
    latest_release = exports.latest_register
    registers = {release: in_scope(reg) for release, reg in exports.registers.items()}
    latest = registers[latest_release]
    rows = register_to_deals(latest, latest_release, "current")
    for release in sorted(registers, reverse=True):
        if release != latest_release:
            rows += register_to_deals(dropped_rows(registers[release], latest), release, "dropped")
    deals = assign_deal_ids(_deal_frame(rows))
    older = {release: reg for release, reg in registers.items() if release != latest_release}
    superseded = superseded_versions(older, exports.transfers, deals, latest_release)
    sipri = pd.concat([deals] + ([superseded] if not superseded.empty else []), ignore_index=True)
    return with_hand_rows(annotate(sipri, annotations), hand)


def with_hand_rows(sipri: pd.DataFrame, hand: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([sipri] + ([hand] if not hand.empty else []), ignore_index=True)  # row order: sort_by


def reannotate(committed: pd.DataFrame, annotations: dict[tuple[str, str, str], Annotation]) -> pd.DataFrame:
    """The loaded ``arms_deals`` with the annotations applied afresh: no raw export needed."""
    plain = committed.astype(object).where(committed.notna(), None)
    return with_hand_rows(
        annotate(plain[plain["record"] != HAND_RECORD].reset_index(drop=True), annotations), hand_rows(committed)
    )


def validate_deals(df: pd.DataFrame) -> None:
    """Deal ids follow from their rows; SIPRI rows never deliver more than they order."""
    bad = []
    for r in df.itertuples(index=False):
        prefix = f"{CODES.get(r.supplier, '?')}-{CODES.get(r.recipient, '?')}-"
        if r.record == HAND_RECORD:
            ok = r.deal_id.startswith(prefix)
        else:
            suffix = f"-r{r.sipri_release}" if r.record == "superseded" else ""
            ok = (
                re.fullmatch(
                    re.escape(f"{prefix}{r.year_ordered}-{slug(r.weapon_designation)}")
                    + r"(-\d+)?"
                    + re.escape(suffix),
                    r.deal_id,
                )
                is not None
            )
        if not ok:
            bad.append(r.deal_id)
    if bad:
        raise ValueError(
            f"{TABLE}: deal ids that do not follow from their rows' supplier, recipient, order year "
            f"and designation: {bad}"
        )
    sipri = df[df["record"] != HAND_RECORD]
    ordered = pd.to_numeric(sipri["number_ordered"], errors="coerce")
    over = sipri[pd.to_numeric(sipri["number_delivered"]) > ordered]
    if not over.empty:
        raise ValueError(f"{TABLE}: more delivered than ordered: {over['deal_id'].tolist()}")
