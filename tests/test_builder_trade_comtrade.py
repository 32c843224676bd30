"""Offline tests of builders/trade_comtrade.py: parsing and validation on a fixture in the API's format."""

import datetime as dt
import importlib
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from builders import trade_comtrade as tc

FIX = Path(__file__).parent / "fixtures" / "trade" / "comtrade_irn_rus_sample.json"


@pytest.fixture
def answer():
    return json.loads(FIX.read_text())


def test_module_imports_without_comtradeapicall(monkeypatch):
    monkeypatch.setitem(sys.modules, "comtradeapicall", None)  # any `import comtradeapicall` now fails
    module = importlib.reload(tc)  # ... yet the builder still imports
    with pytest.raises(ImportError):
        module.fetch([2019], api_key="not-used")  # only fetch needs the package


def test_parse_and_validate(answer):
    valid = tc.validate(tc.parse_response(answer))
    assert len(valid) == 4  # the RX re-export record is dropped
    assert set(valid["flowCode"]) == {"M", "X"}


def test_rows_direction_and_units(answer):
    rows = tc.to_bilateral_rows(tc.validate(tc.parse_response(answer)), retrieved=dt.date(2026, 1, 2))
    got = {(r.reporter, r.flow): r.value_musd for r in rows.itertuples()}
    # Values in the fixture are US dollars; expected US$ millions worked out by hand.
    assert got == {
        ("un_comtrade_rus", "russia_to_iran"): 1250.0,  # Russia's exports (X)
        ("un_comtrade_rus", "iran_to_russia"): 480.5,  # Russia's imports (M)
        ("un_comtrade_irn", "russia_to_iran"): 987.654,  # Iran's imports (M), 987654321 -> 987.654
        ("un_comtrade_irn", "iran_to_russia"): 300.0,  # Iran's exports (X)
    }
    assert set(rows["period_start"]) == {dt.date(2019, 1, 1)} and set(rows["period_end"]) == {dt.date(2019, 12, 31)}
    assert set(rows["source"]) == {"un-comtrade-database"}
    assert all("2026-01-02" in n for n in rows["note"])


def test_dataframe_input_matches_json(answer):
    df = pd.json_normalize(answer["data"])  # what comtradeapicall returns
    a = tc.to_bilateral_rows(tc.validate(tc.parse_response(df)), retrieved=dt.date(2026, 1, 2))
    b = tc.to_bilateral_rows(tc.validate(tc.parse_response(answer)), retrieved=dt.date(2026, 1, 2))
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    "field,change",
    [
        ("primaryValue", lambda r: r.update(primaryValue="n/a")),
        ("primaryValue", lambda r: r.update(primaryValue=-5)),
        ("flowCode", lambda r: r.update(flowCode="Q")),
        ("reporterCode", lambda r: r.update(reporterCode=156, reporterISO="CHN")),
        ("partnerCode", lambda r: r.update(partnerCode=643)),
        ("cmdCode", lambda r: r.update(cmdCode="10")),
        ("refYear", lambda r: r.update(refYear="twenty")),
        ("partnerISO", lambda r: r.update(partnerISO="CHN")),
    ],
)
def test_bad_record_names_field(answer, field, change):
    change(answer["data"][0])
    with pytest.raises(tc.ComtradeValidationError, match=field) as err:
        tc.validate(tc.parse_response(answer))
    assert err.value.field == field


def test_missing_field_is_named(answer):
    for rec in answer["data"]:
        del rec["primaryValue"]
    with pytest.raises(tc.ComtradeValidationError, match="primaryValue"):
        tc.validate(tc.parse_response(answer))


def test_duplicate_record_rejected(answer):
    answer["data"].append(dict(answer["data"][0]))
    with pytest.raises(tc.ComtradeValidationError, match="refYear"):
        tc.validate(tc.parse_response(answer))


def test_api_error_and_missing_data():
    with pytest.raises(tc.ComtradeValidationError, match="error"):
        tc.parse_response({"data": [], "error": "quota exceeded"})
    with pytest.raises(tc.ComtradeValidationError, match="data"):
        tc.parse_response({"count": 0})


def test_merge_replaces_only_same_comtrade_rows(answer):
    new = tc.to_bilateral_rows(tc.validate(tc.parse_response(answer)), retrieved=dt.date(2026, 1, 2))
    old = new.iloc[[0]].copy()
    old["value_musd"] = 1.0
    hand = new.iloc[[0]].copy()
    hand["reporter"], hand["source"] = "russia_customs_fcs", "hand-key"
    merged = tc.merge_rows(pd.concat([old, hand], ignore_index=True), new)
    assert len(merged) == len(new) + 1
    assert 1.0 not in set(merged["value_musd"])
    assert (merged["reporter"] == "russia_customs_fcs").sum() == 1


def test_fetch_needs_key(monkeypatch):
    monkeypatch.delenv(tc.API_KEY_ENV, raising=False)
    with pytest.raises(RuntimeError, match=tc.API_KEY_ENV):
        tc.fetch([2019])
