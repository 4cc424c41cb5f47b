"""Eligibility rules (合格标准): each rule rejects the asset crafted to break it, and only when it applies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from dataabs.pool.rules import (
    RULE_IDS,
    CutContext,
    EligibilityPolicy,
    Rule,
    candidate_frame,
    describe_rules,
    evaluate,
)
from tests.pool.pool_helpers import CONTEXT, CUT_OFF, GOOD_ASSET, USCC, one_asset

BREAKS: dict[str, dict[str, dict[str, object]]] = {
    "E01_valid_uscc": {"obligor": {"uscc": USCC[1][:-1] + ("0" if USCC[1][-1] != "0" else "1")}},
    "E02_not_dishonest": {"obligor": {"dishonest": True}},
    "E03_performing": {"asset": {"status": "overdue"}},
    "E04_never_overdue": {"asset": {"max_days_past_due": 5}},
    "E05_fixed_rate": {"asset": {"rate_type": "floating"}},
    "E06_currency": {"asset": {"currency": "USD"}},
    "E07_fully_drawn": {"asset": {"fully_drawn": False}},
    "E08_not_restructured": {"asset": {"restructured": True}},
    "E09_principal_positive": {"asset": {"principal": Decimal(0)}},
    "E10_rate_bounds": {"asset": {"rate": Decimal("0.30")}},
    "E11_originated_before_cut_off": {"asset": {"origination_date": date(2025, 7, 1)}},
    "E12_matures_after_cut_off": {"asset": {"maturity_date": date(2025, 6, 30)}},
    "E13_within_legal_maturity": {"asset": {"maturity_date": date(2028, 3, 1)}},
    "E14_asset_type_allowed": {"asset": {"asset_type": "receivable"}},
    "E15_rights_verified": {"rights": {"passed_all": False}},
    "E16_pledge_perfected": {"rights": {"pledge_perfected": False}},
    "E17_pledgor_is_obligor": {"data": {"holder_obligor_id": "O2"}},
    "E18_valuation_fresh": {"valuation": {"base_date": date(2024, 5, 31)}},
    "E19_ltv_max": {"valuation": {"final_value": Decimal("40000000")}},
    "E20_quality_min": {"quality": {"Q": 75.0}},
    "E21_general_data_only": {"data": {"classification": "important"}},
    "E22_certificate_covers_maturity": {"rights": {"certificate_valid_to": date(2027, 9, 1)}},
    "E23_guarantor_in_force": {"asset": {"guarantor_id": None}},
}


def failed_ids(
    frame: pd.DataFrame, policy: EligibilityPolicy | None = None, ctx: CutContext = CONTEXT
) -> list[str]:
    out = evaluate(frame, policy or EligibilityPolicy(), ctx)
    text = out["failed_rules"].iloc[0]
    return text.split(";") if text else []


def test_the_good_asset_passes_every_rule() -> None:
    out = evaluate(one_asset(), EligibilityPolicy(), CONTEXT)
    assert out.to_dict("records") == [{"asset_id": "A1", "eligible": True, "failed_rules": ""}]


def test_every_declared_rule_has_a_crafted_breach_and_there_are_at_least_20() -> None:
    assert set(BREAKS) == set(RULE_IDS)
    assert len(RULE_IDS) >= 20


@pytest.mark.parametrize("rule_id", sorted(BREAKS))
def test_each_rule_rejects_its_crafted_asset(rule_id: str) -> None:
    failed = failed_ids(one_asset(**BREAKS[rule_id]))  # type: ignore[arg-type]
    assert rule_id in failed
    assert not evaluate(one_asset(**BREAKS[rule_id]), EligibilityPolicy(), CONTEXT)["eligible"].iloc[0]  # type: ignore[arg-type]


@pytest.mark.parametrize("rule_id", sorted(BREAKS))
def test_a_disabled_rule_no_longer_rejects(rule_id: str) -> None:
    policy = EligibilityPolicy.model_validate({rule_id: {"enabled": False}})
    assert rule_id not in failed_ids(one_asset(**BREAKS[rule_id]), policy)  # type: ignore[arg-type]


def test_data_collateral_rules_skip_assets_without_a_pledge() -> None:
    frame = one_asset(asset={"data_asset_id": None}, quality={"Q": 10.0}, rights={"passed_all": False})
    assert failed_ids(frame) == []


def test_unknown_guarantor_fails_and_guarantee_not_required_for_data_empowered() -> None:
    assert "E23_guarantor_in_force" in failed_ids(one_asset(asset={"guarantor_id": "stranger"}))
    empowered = CutContext(CUT_OFF, date(2028, 7, 26), "data_empowered", None)
    assert failed_ids(one_asset(asset={"guarantor_id": None, "data_asset_id": None}), ctx=empowered) == []


def test_parameters_come_from_the_policy() -> None:
    frame = one_asset(valuation={"final_value": Decimal("45000000")})  # LTV 55.6%
    assert "E19_ltv_max" in failed_ids(frame)
    looser = EligibilityPolicy.model_validate({"E19_ltv_max": {"max": "0.60"}})
    assert failed_ids(frame, looser) == []
    with pytest.raises(ValueError):
        EligibilityPolicy.model_validate({"E19_ltv_max": {"maximum": 0.6}})
    with pytest.raises(ValueError):
        EligibilityPolicy.model_validate({"E99_unknown": {"enabled": False}})


def test_long_form_stage_outputs_are_accepted() -> None:
    asset = pd.DataFrame([GOOD_ASSET])
    obligors = one_asset()[
        ["obligor_id", "obligor_name", "uscc", "province", "city", "industry", "dishonest", "private"]
    ].rename(columns={"obligor_name": "name"})
    data = pd.DataFrame(
        [
            {
                "data_asset_id": "DA1",
                "holder_obligor_id": "O1",
                "data_type": "t",
                "classification": "general",
                "registry": "r",
            }
        ]
    )
    quality = pd.DataFrame(
        {"data_asset_id": ["DA1", "DA1"], "dimension": ["accuracy", "Q"], "score": ["0.9", "92.9"]}
    )
    rights = pd.DataFrame(
        {
            "data_asset_id": ["DA1"] * 3,
            "check_id": ["V1", "V4", "V7"],
            "passed": ["true", "true", "false"],
            "certificate_no": "x",
            "detail": "",
        }
    )
    valuation = pd.DataFrame(
        {
            "data_asset_id": ["DA1"] * 3,
            "method": ["income", "cost", "final"],
            "value": ["62000000", "50000000", "60000000"],
            "base_date": [date(2025, 5, 31)] * 3,
        }
    )
    frame = candidate_frame(
        asset, obligors, data, CUT_OFF, quality=quality, rights=rights, valuation=valuation
    )
    assert frame["valuation_method"].iloc[0] == "cost+income"
    assert frame["ltv"].iloc[0] == pytest.approx(25 / 60)
    assert set(failed_ids(frame)) == {"E15_rights_verified", "E16_pledge_perfected"}


def test_rule_list_is_described_with_ids_texts_and_params() -> None:
    table = describe_rules(EligibilityPolicy())
    assert list(table["id"]) == list(RULE_IDS)
    assert table.set_index("id").loc["E19_ltv_max", "params"] == {"max": "0.50"}
    assert isinstance(EligibilityPolicy().rule("E01_valid_uscc"), Rule)


def test_evaluation_is_vectorised_over_many_assets() -> None:
    frame = pd.concat(
        [one_asset(), one_asset(asset={"status": "overdue", "rate_type": "floating"})] * 500,
        ignore_index=True,
    )
    out = evaluate(frame, EligibilityPolicy(), CONTEXT)
    assert out["eligible"].sum() == 500
    assert set(out["failed_rules"]) == {"", "E03_performing;E05_fixed_rate"}
