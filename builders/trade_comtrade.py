"""Refresh UN Comtrade rows of data/trade_bilateral.csv (Iran-Russia goods trade, both reporters).

Run by hand from the repository root (needs network access and a Comtrade API subscription key):

    export COMTRADE_API_KEY=...            # from https://comtradedeveloper.un.org
    python -m builders.trade_comtrade --years 2015-2024
    python -m builders.trade_comtrade --from-json saved_response.json   # offline, a saved API answer
    python -m builders.trade_comtrade --from-json saved_response.json --check   # compare, write nothing

Design: ``fetch`` is the only function that touches the network (and the only one that imports
``comtradeapicall``); ``parse_response``, ``validate`` and ``to_bilateral_rows`` are pure functions on
the API's documented JSON answer (``{"elapsedTime", "count", "data": [...], "error"}``; each record
has ``refYear``, ``reporterCode``, ``reporterISO``, ``partnerCode``, ``partnerISO``, ``flowCode``,
``cmdCode``, ``primaryValue`` ...) or on the DataFrame comtradeapicall builds from ``data``.

Each reporter is its own series (``un_comtrade_rus``, ``un_comtrade_irn``): Russia's exports (X) are
``russia_to_iran`` as Russia reports them; Iran's imports (M) from Russia are the same flow as Iran
reports it, and so on. Nothing is merged, averaged or mirrored. ``primaryValue`` is in US dollars and
is converted to US$ millions. Re-running replaces only the Comtrade rows for the same reporter,
year and flow; every other row (COW, press and official figures) is kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

import pandas as pd

from builders.common import run
from iranrussia.data import load

API_KEY_ENV = "COMTRADE_API_KEY"
SOURCE = "un-comtrade-database"
# UN Comtrade (M49-based) area codes.
IRAN_CODE, RUSSIA_CODE = 364, 643
ISO = {IRAN_CODE: "IRN", RUSSIA_CODE: "RUS"}
REPORTER_SLUG = {IRAN_CODE: "un_comtrade_irn", RUSSIA_CODE: "un_comtrade_rus"}
# (reporter, flowCode) -> direction of the goods.
FLOW_MAP = {
    (RUSSIA_CODE, "X"): "russia_to_iran",
    (RUSSIA_CODE, "M"): "iran_to_russia",
    (IRAN_CODE, "X"): "iran_to_russia",
    (IRAN_CODE, "M"): "russia_to_iran",
}
REQUIRED_FIELDS = ["refYear", "reporterCode", "partnerCode", "flowCode", "cmdCode", "primaryValue"]
# Re-export / re-import records (RX, RM) are legitimate API output but not part of these series.
IGNORED_FLOWS = {"RX", "RM"}


class ComtradeValidationError(ValueError):
    """Raised when an API answer cannot be used; the message names the offending field."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"field {field!r}: {message}")


# --------------------------------------------------------------------------- network (only here)
def fetch(years: list[int], api_key: str | None = None) -> pd.DataFrame:
    """Ask the Comtrade final-data API for annual TOTAL goods trade between Iran and Russia.

    Returns the DataFrame that comtradeapicall builds from the answer's ``data`` list.
    """
    import comtradeapicall  # lazy: the module must import without the package installed

    key = api_key or os.environ.get(API_KEY_ENV)
    if not key:
        raise RuntimeError(f"set the {API_KEY_ENV} environment variable to a Comtrade subscription key")
    df = comtradeapicall.getFinalData(
        key,
        typeCode="C",
        freqCode="A",
        clCode="HS",
        period=",".join(str(y) for y in years),
        reporterCode=f"{IRAN_CODE},{RUSSIA_CODE}",
        cmdCode="TOTAL",
        flowCode="M,X",
        partnerCode=f"{IRAN_CODE},{RUSSIA_CODE}",
        partner2Code="0",
        customsCode="C00",
        motCode="0",
        maxRecords=2500,
        format_output="JSON",
        breakdownMode="classic",
        includeDesc=True,
    )
    if df is None:
        raise RuntimeError("the Comtrade API returned no answer (see the messages printed above)")
    return df


# --------------------------------------------------------------------------- pure functions
def parse_response(answer) -> pd.DataFrame:
    """Turn an API answer (dict with ``data``, a list of records, or a DataFrame) into a DataFrame."""
    if isinstance(answer, pd.DataFrame):
        return answer.copy()
    if isinstance(answer, dict):
        if answer.get("error"):
            raise ComtradeValidationError("error", f"the API reported an error: {answer['error']}")
        if "data" not in answer:
            raise ComtradeValidationError("data", "the answer has no 'data' list")
        answer = answer["data"]
    if not isinstance(answer, list):
        raise ComtradeValidationError("data", f"expected a list of records, got {type(answer).__name__}")
    return pd.DataFrame.from_records(answer)


def _as_int(df: pd.DataFrame, field: str) -> pd.Series:
    values = pd.to_numeric(df[field], errors="coerce")
    bad = values.isna() | (values != values.round())
    if bad.any():
        raise ComtradeValidationError(
            field, f"not an integer in record(s) {list(df.index[bad])}: {df.loc[bad, field].tolist()}"
        )
    return values.astype(int)


def validate(records: pd.DataFrame) -> pd.DataFrame:
    """Check and normalise records; return only annual TOTAL Iran<->Russia M/X rows, one per reporter/year/flow."""
    if records.empty:
        raise ComtradeValidationError("data", "no records")
    for field in REQUIRED_FIELDS:
        if field not in records.columns:
            raise ComtradeValidationError(field, "missing from the records")
    df = records.copy()
    df["flowCode"] = df["flowCode"].astype(str).str.strip()
    unknown = ~df["flowCode"].isin({"M", "X"} | IGNORED_FLOWS)
    if unknown.any():
        raise ComtradeValidationError("flowCode", f"unexpected value(s) {sorted(set(df.loc[unknown, 'flowCode']))}")
    df = df[df["flowCode"].isin({"M", "X"})]
    # Keep only the all-partner2 / all-customs / all-modes aggregate when those fields are present.
    for field, total in [("partner2Code", 0), ("motCode", 0)]:
        if field in df.columns:
            df = df[pd.to_numeric(df[field], errors="coerce").fillna(total) == total]
    if "customsCode" in df.columns:
        df = df[df["customsCode"].fillna("C00").astype(str) == "C00"]
    if "freqCode" in df.columns and not (df["freqCode"].astype(str) == "A").all():
        raise ComtradeValidationError("freqCode", "only annual ('A') records are accepted")
    df["refYear"] = _as_int(df, "refYear")
    if not df["refYear"].between(1988, 2100).all():
        raise ComtradeValidationError("refYear", f"outside 1988-2100: {sorted(set(df['refYear']))}")
    df["reporterCode"] = _as_int(df, "reporterCode")
    df["partnerCode"] = _as_int(df, "partnerCode")
    if not df["reporterCode"].isin(ISO).all():
        raise ComtradeValidationError(
            "reporterCode", f"not Iran (364) or Russia (643): {sorted(set(df['reporterCode']) - set(ISO))}"
        )
    wrong_partner = (~df["partnerCode"].isin(ISO)) | (df["partnerCode"] == df["reporterCode"])
    if wrong_partner.any():
        raise ComtradeValidationError("partnerCode", "must be the other country of the pair in every record")
    for field, codes in [("reporterISO", "reporterCode"), ("partnerISO", "partnerCode")]:
        if field in df.columns:
            mismatch = df[field].astype(str) != df[codes].map(ISO)
            if mismatch.any():
                raise ComtradeValidationError(field, f"does not match {codes} in record(s) {list(df.index[mismatch])}")
    if not (df["cmdCode"].astype(str) == "TOTAL").all():
        raise ComtradeValidationError("cmdCode", "only 'TOTAL' (all commodities) records are accepted")
    values = pd.to_numeric(df["primaryValue"], errors="coerce")
    if values.isna().any() or (values < 0).any():
        raise ComtradeValidationError(
            "primaryValue",
            f"missing, non-numeric or negative in record(s) {list(df.index[values.isna() | (values < 0)])}",
        )
    df["primaryValue"] = values.astype(float)
    dupes = df.duplicated(subset=["refYear", "reporterCode", "flowCode"], keep=False)
    if dupes.any():
        raise ComtradeValidationError("refYear", "more than one record for the same reporter, year and flow")
    return df.reset_index(drop=True)


def to_bilateral_rows(valid: pd.DataFrame, retrieved: dt.date | None = None) -> pd.DataFrame:
    """Rows in the data/trade_bilateral.csv format from validated records."""
    retrieved = retrieved or dt.date.today()
    rows = []
    for _, r in valid.sort_values(["reporterCode", "refYear", "flowCode"]).iterrows():
        year, reporter, flow_code = int(r["refYear"]), int(r["reporterCode"]), r["flowCode"]
        kind = "exports (f.o.b.)" if flow_code == "X" else "imports (c.i.f.)"
        rows.append(
            {
                "period_label": str(year),
                "period_type": "calendar_year",
                "calendar": "gregorian",
                "period_start": dt.date(year, 1, 1),
                "period_end": dt.date(year, 12, 31),
                "reporter": REPORTER_SLUG[reporter],
                "flow": FLOW_MAP[(reporter, flow_code)],
                "value_musd": round(r["primaryValue"] / 1e6, 3),
                "value_qualifier": "as_reported",
                "source": SOURCE,
                "note": (
                    f"UN Comtrade, {ISO[reporter]} as reporter, {kind} with {ISO[int(r['partnerCode'])]}, "
                    f"cmdCode TOTAL, primaryValue converted from US$ to US$ millions; retrieved "
                    f"{retrieved.isoformat()}."
                ),
            }
        )
    return pd.DataFrame(rows)


def merge_rows(existing: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Replace Comtrade rows with the same reporter, year and flow; keep every other row."""
    if new.empty:
        return existing.copy()
    key = ["reporter", "period_label", "flow"]
    replaced = existing.set_index(key).index.isin(new.set_index(key).index)
    return pd.concat([existing[~replaced].astype(object), new.astype(object)], ignore_index=True)


def _parse_years(text: str) -> list[int]:
    if "-" in text:
        first, last = (int(x) for x in text.split("-", 1))
        return list(range(first, last + 1))
    return [int(x) for x in text.split(",")]


def build(args: argparse.Namespace) -> dict[str, pd.DataFrame]:
    """trade_bilateral with its UN Comtrade rows replaced by the answer's (nothing is written here)."""
    if args.from_json:
        answer = json.loads(args.from_json.read_text(encoding="utf-8"))
    else:
        answer = fetch(_parse_years(args.years))
    new = to_bilateral_rows(validate(parse_response(answer)))
    return {"trade_bilateral": merge_rows(load("trade_bilateral", data_dir=args.data_dir), new)}


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--years", default="2015-2024", help="e.g. 2015-2024 or 2019,2021")
    parser.add_argument("--from-json", type=Path, help="parse a saved API answer instead of fetching")


def main(argv: list[str] | None = None) -> int:
    return run(build, description=__doc__.splitlines()[0], inputs={}, argv=argv, options=_options)


if __name__ == "__main__":
    sys.exit(main())
