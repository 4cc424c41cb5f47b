"""Eligibility criteria (合格标准): a declared list of rules with ids, evaluated vectorised over the candidate tape.

The candidate frame joins the asset tape with its obligor, its pledged data asset and the results of the earlier
stages (quality score Q, rights verification, valuation, LTV), and adds the numeric measures every later step of
the pool cut uses (``principal_fen``, ``rate_float``, ``remaining_term_months``, ``data_pledged``). Each rule maps
that frame to a boolean Series (True = passes); a rule on data collateral passes every asset without a data pledge.
Thresholds are house policy (``policy.yaml`` ``pool.eligibility``), overridable per deal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from dataabs.calendar import add_months
from dataabs.money import to_fen
from dataabs.package.schema import Deal, DealModel
from dataabs.rights.uscc import is_valid_uscc

DAYS_PER_MONTH = 365.0 / 12.0
DATE_COLUMNS = ("origination_date", "maturity_date", "valuation_base_date", "certificate_valid_to")


@dataclass(frozen=True)
class CutContext:
    """The deal facts the rules need: cut-off (封包日), legal maturity, deal model and guarantors in force."""

    cut_off: date
    legal_maturity: date
    deal_model: DealModel
    guarantor_ids: frozenset[str] | None = None

    @classmethod
    def from_deal(cls, deal: Deal) -> CutContext:
        """Context of a deal: guarantors are its parties with a guarantor or bank-guarantee role."""
        guarantors = frozenset(p.id for p in deal.parties if p.role in ("guarantor", "lender"))
        providers = frozenset(c.provider for c in deal.credit_support if c.provider)
        return cls(deal.dates.cut_off, deal.dates.legal_maturity, deal.model, guarantors | providers)


# --- policy -------------------------------------------------------------------------------------------------


class Rule(BaseModel):
    """A rule's switch; subclasses add its parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True


class MaxRule(Rule):
    """A rule with an upper limit."""

    max: Decimal


class MinRule(Rule):
    """A rule with a lower limit."""

    min: Decimal


class RangeRule(Rule):
    """A rule with inclusive lower and upper limits."""

    min: Decimal
    max: Decimal


class AllowedRule(Rule):
    """A rule with a list of allowed values."""

    allowed: list[str]


class DaysRule(Rule):
    """A rule with a number of days."""

    days: int = Field(ge=0)


class MonthsRule(Rule):
    """A rule with a number of months."""

    months: int = Field(ge=0)


class ModelsRule(Rule):
    """A rule that applies to the listed deal models only."""

    models: list[DealModel]


class AssetTypesRule(Rule):
    """Asset types allowed per deal model."""

    allowed: dict[DealModel, list[str]]


def _asset_types() -> dict[DealModel, list[str]]:
    return {
        "data_pledged_loan": ["loan"],
        "receivable_data_pledge": ["receivable"],
        "leasing_data_pledge": ["lease"],
        "data_empowered": ["receivable", "lease", "loan"],
        "revenue_rights": ["revenue_right"],
    }


class EligibilityPolicy(BaseModel):
    """House eligibility criteria (合格标准): one field per rule id, each with its switch and parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    E01_valid_uscc: Rule = Rule()
    E02_not_dishonest: Rule = Rule()
    E03_performing: Rule = Rule()
    E04_never_overdue: MaxRule = MaxRule(max=Decimal(0))
    E05_fixed_rate: AllowedRule = AllowedRule(allowed=["fixed"])
    E06_currency: AllowedRule = AllowedRule(allowed=["CNY"])
    E07_fully_drawn: Rule = Rule()
    E08_not_restructured: Rule = Rule()
    E09_principal_positive: MinRule = MinRule(min=Decimal(0))
    E10_rate_bounds: RangeRule = RangeRule(min=Decimal("0.005"), max=Decimal("0.15"))
    E11_originated_before_cut_off: Rule = Rule()
    E12_matures_after_cut_off: Rule = Rule()
    E13_within_legal_maturity: MonthsRule = MonthsRule(months=6)
    E14_asset_type_allowed: AssetTypesRule = AssetTypesRule(allowed=_asset_types())
    E15_rights_verified: Rule = Rule()
    E16_pledge_perfected: Rule = Rule()
    E17_pledgor_is_obligor: Rule = Rule()
    E18_valuation_fresh: MonthsRule = MonthsRule(months=12)
    E19_ltv_max: MaxRule = MaxRule(max=Decimal("0.50"))
    E20_quality_min: MinRule = MinRule(min=Decimal(80))
    E21_general_data_only: AllowedRule = AllowedRule(allowed=["general"])
    E22_certificate_covers_maturity: DaysRule = DaysRule(days=180)
    E23_guarantor_in_force: ModelsRule = ModelsRule(models=["data_pledged_loan", "receivable_data_pledge"])

    @model_validator(mode="before")
    @classmethod
    def _merge_defaults(cls, data: Any) -> Any:
        """A partial override (``{E19_ltv_max: {max: 0.6}}``) keeps the rule's other default settings."""
        if not isinstance(data, dict):
            return data
        merged = dict(data)
        for key, value in data.items():
            field = cls.model_fields.get(key)
            if field is not None and isinstance(value, dict) and isinstance(field.default, Rule):
                merged[key] = {**field.default.model_dump(), **value}
        return merged

    def rule(self, rule_id: str) -> Rule:
        """The settings of one rule by id."""
        value = getattr(self, rule_id)
        assert isinstance(value, Rule)
        return value


# --- inputs -------------------------------------------------------------------------------------------------


def quality_scores(quality: pd.DataFrame | None) -> pd.DataFrame:
    """``data_asset_id, Q`` from a wide frame or from ``governance/quality.csv`` (dimension ``Q``)."""
    if quality is None:
        return pd.DataFrame({"data_asset_id": pd.Series(dtype=object), "Q": pd.Series(dtype=float)})
    if "Q" not in quality.columns:
        quality = quality[quality["dimension"] == "Q"].rename(columns={"score": "Q"})
    out = quality[["data_asset_id", "Q"]].copy()
    out["Q"] = pd.to_numeric(out["Q"].astype(str), errors="coerce")
    return out.drop_duplicates("data_asset_id", keep="last")


def rights_results(rights: pd.DataFrame | None) -> pd.DataFrame:
    """``data_asset_id, rights_passed, pledge_perfected, certificate_covers, certificate_valid_to``.

    Accepts a wide frame (``passed_all`` plus optional ``pledge_perfected``, ``certificate_valid_to``) or the long
    ``rights/verification.csv`` (``check_id, passed``: V7 is the pledge, V4 the certificate's validity).
    """
    columns = [
        "data_asset_id",
        "rights_passed",
        "pledge_perfected",
        "certificate_covers",
        "certificate_valid_to",
    ]
    if rights is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    if "check_id" in rights.columns:
        passed = rights.assign(passed=rights["passed"].map(truthy))
        wide = passed.pivot_table(index="data_asset_id", columns="check_id", values="passed", aggfunc="all")
        out = pd.DataFrame({"data_asset_id": wide.index, "rights_passed": wide.all(axis=1).to_numpy()})
        out["pledge_perfected"] = wide["V7"].to_numpy() if "V7" in wide else out["rights_passed"]
        out["certificate_covers"] = wide["V4"].to_numpy() if "V4" in wide else out["rights_passed"]
        out["certificate_valid_to"] = pd.NaT
        return out[columns]
    out = pd.DataFrame(
        {"data_asset_id": rights["data_asset_id"], "rights_passed": rights["passed_all"].map(truthy)}
    )
    perfected = rights.get("pledge_perfected")
    out["pledge_perfected"] = out["rights_passed"] if perfected is None else perfected.map(truthy)
    out["certificate_covers"] = out["rights_passed"]
    out["certificate_valid_to"] = rights.get("certificate_valid_to", pd.NaT)
    return out[columns].drop_duplicates("data_asset_id", keep="last")


def valuation_results(valuation: pd.DataFrame | None) -> pd.DataFrame:
    """``data_asset_id, final_value, valuation_base_date, valuation_method`` from a wide or long valuation frame."""
    columns = ["data_asset_id", "final_value", "valuation_base_date", "valuation_method"]
    if valuation is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    if "final_value" in valuation.columns:
        out = valuation.rename(columns={"base_date": "valuation_base_date", "method": "valuation_method"})
        if "valuation_method" not in out:
            out["valuation_method"] = None
        out = out[columns]
    else:
        final = valuation["method"] == "final"
        methods = (
            valuation[~final]
            .sort_values("method")
            .groupby("data_asset_id")["method"]
            .agg("+".join)
            .rename("valuation_method")
        )
        out = (
            valuation[final]
            .rename(columns={"value": "final_value", "base_date": "valuation_base_date"})
            .merge(methods, on="data_asset_id", how="left")[columns]
        )
    out = out.copy()
    out["final_value"] = pd.to_numeric(out["final_value"].astype(str), errors="coerce")
    return out.drop_duplicates("data_asset_id", keep="last")


def truthy(value: Any) -> bool:
    """A bool from a bool or its text (true/false, 1/0)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "y", "是")
    return bool(value) if value is not None and value == value else False


# --- the candidate frame ------------------------------------------------------------------------------------


def candidate_frame(
    assets: pd.DataFrame,
    obligors: pd.DataFrame,
    data_assets: pd.DataFrame,
    cut_off: date,
    *,
    quality: pd.DataFrame | None = None,
    rights: pd.DataFrame | None = None,
    valuation: pd.DataFrame | None = None,
    ltv: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The asset tape joined with obligors, pledged data assets and earlier-stage results, plus its measures."""
    obligor_cols = ["obligor_id", "name", "uscc", "province", "city", "industry", "dishonest", "private"]
    data_cols = ["data_asset_id", "holder_obligor_id", "data_type", "classification", "registry"]
    frame = (
        assets.merge(
            _present(obligors, obligor_cols).rename(columns={"name": "obligor_name"}),
            on="obligor_id",
            how="left",
        )
        .merge(_present(data_assets, data_cols), on="data_asset_id", how="left")
        .merge(quality_scores(quality), on="data_asset_id", how="left")
        .merge(rights_results(rights), on="data_asset_id", how="left")
        .merge(valuation_results(valuation), on="data_asset_id", how="left")
    )
    frame = add_measures(frame, cut_off)
    if ltv is not None:
        given = ltv[["asset_id", "ltv"]].assign(ltv=pd.to_numeric(ltv["ltv"].astype(str), errors="coerce"))
        frame = frame.merge(given, on="asset_id", how="left")
    else:
        frame["ltv"] = _computed_ltv(frame)
    return frame


def _present(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The listed columns of a tape, optional ones filled with None when absent."""
    return frame.reindex(columns=columns)


def add_measures(frame: pd.DataFrame, cut_off: date) -> pd.DataFrame:
    """Add ``principal_fen`` (exact), ``rate_float``, ``remaining_term_months`` and ``data_pledged``; dates → datetime64."""
    out = frame.copy()
    for column in DATE_COLUMNS:
        if column in out.columns:
            out[column] = pd.to_datetime(out[column], errors="coerce")
    out["principal_fen"] = (
        out["principal"].map(lambda v: to_fen(v) if v is not None and v == v else 0).astype("int64")
    )
    out["rate_float"] = pd.to_numeric(out["rate"].astype(str), errors="coerce")
    days = (out["maturity_date"] - pd.Timestamp(cut_off)).dt.days
    out["remaining_term_months"] = (days / DAYS_PER_MONTH).clip(lower=0.0).astype("float64")
    out["data_pledged"] = (
        out["data_asset_id"].map(lambda v: isinstance(v, str) and bool(v.strip())).astype(bool)
    )
    return out


def _computed_ltv(frame: pd.DataFrame) -> pd.Series:
    """LTV when none is given: principal of all loans on a data asset / its final value."""
    on_asset = frame.groupby("data_asset_id")["principal_fen"].transform("sum") / 100.0
    value = pd.to_numeric(frame["final_value"], errors="coerce")
    ltv = on_asset / value.where(value > 0)
    return ltv.where(frame["data_pledged"])


# --- the rules ----------------------------------------------------------------------------------------------

Check = Callable[[pd.DataFrame, Any, CutContext], pd.Series]


@dataclass(frozen=True)
class RuleSpec:
    """A declared rule: id, Chinese and English description, scope (all assets or data-pledged only), check."""

    id: str
    zh: str
    en: str
    check: Check
    data_collateral: bool = False


def _flag(column: str, expected: bool) -> Check:
    """Check that a boolean column equals ``expected`` (missing counts as a failure)."""

    def check(f: pd.DataFrame, r: Any, c: CutContext) -> pd.Series:
        known = f[column].notna()
        return known & (f[column].map(truthy) == expected)

    return check


def _in(column: str) -> Check:
    """Check that a column's value is one of the rule's ``allowed``."""
    return lambda f, r, c: f[column].isin(list(r.allowed))


def _num(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda f: pd.to_numeric(f[column], errors="coerce")


def _valid_uscc(f: pd.DataFrame, r: Any, c: CutContext) -> pd.Series:
    codes = f["uscc"].fillna("").astype(str)
    valid = {code: is_valid_uscc(code) for code in codes.unique()}
    return codes.map(valid).astype(bool)


def _not_dishonest(f: pd.DataFrame, r: Any, c: CutContext) -> pd.Series:
    return ~f["dishonest"].map(truthy).astype(bool)


def _rate_bounds(f: pd.DataFrame, r: Any, c: CutContext) -> pd.Series:
    return f["rate_float"].between(float(r.min), float(r.max))


def _asset_type(f: pd.DataFrame, r: Any, c: CutContext) -> pd.Series:
    return f["asset_type"].isin(r.allowed.get(c.deal_model, []))


def _legal_maturity(f: pd.DataFrame, r: Any, c: CutContext) -> pd.Series:
    return f["maturity_date"] <= pd.Timestamp(add_months(c.legal_maturity, -r.months))


def _valuation_fresh(f: pd.DataFrame, r: Any, c: CutContext) -> pd.Series:
    oldest = pd.Timestamp(add_months(c.cut_off, -r.months))
    return (f["valuation_base_date"] >= oldest) & (f["valuation_base_date"] <= pd.Timestamp(c.cut_off))


def _certificate(f: pd.DataFrame, r: Any, c: CutContext) -> pd.Series:
    needed = f["maturity_date"] + pd.Timedelta(days=r.days)
    by_date = f["certificate_valid_to"] >= needed
    has_date = f["certificate_valid_to"].notna()
    return by_date.where(has_date, f["certificate_covers"].map(truthy)).astype(bool)


def _guarantor(f: pd.DataFrame, r: Any, c: CutContext) -> pd.Series:
    if c.deal_model not in r.models:
        return pd.Series(True, index=f.index)
    present = f["guarantor_id"].map(lambda v: isinstance(v, str) and bool(v.strip()))
    if c.guarantor_ids is None:
        return present.astype(bool)
    return (present & f["guarantor_id"].isin(list(c.guarantor_ids))).astype(bool)


RULES: tuple[RuleSpec, ...] = (
    RuleSpec("E01_valid_uscc", "债务人统一社会信用代码有效", "Obligor USCC passes GB 32100", _valid_uscc),
    RuleSpec(
        "E02_not_dishonest",
        "债务人非失信被执行人",
        "Obligor is not a dishonest judgment debtor",
        _not_dishonest,
    ),
    RuleSpec(
        "E03_performing", "资产状态为正常", "Asset is performing", lambda f, r, c: f["status"] == "performing"
    ),
    RuleSpec(
        "E04_never_overdue",
        "从未逾期（或不超过容忍天数）",
        "Never overdue beyond the tolerance (days)",
        lambda f, r, c: _num("max_days_past_due")(f) <= float(r.max),
    ),
    RuleSpec("E05_fixed_rate", "固定利率", "Rate type allowed (fixed)", _in("rate_type")),
    RuleSpec("E06_currency", "人民币计价", "Currency allowed (CNY)", _in("currency")),
    RuleSpec("E07_fully_drawn", "已全额发放", "Fully drawn", _flag("fully_drawn", True)),
    RuleSpec("E08_not_restructured", "未经重组、展期", "Not restructured", _flag("restructured", False)),
    RuleSpec(
        "E09_principal_positive",
        "未偿本金大于零",
        "Outstanding principal above the minimum",
        lambda f, r, c: f["principal_fen"] > int(r.min * 100),
    ),
    RuleSpec("E10_rate_bounds", "利率在允许区间内", "Rate within bounds", _rate_bounds),
    RuleSpec(
        "E11_originated_before_cut_off",
        "封包日前已发放",
        "Originated on or before the cut-off",
        lambda f, r, c: f["origination_date"] <= pd.Timestamp(c.cut_off),
    ),
    RuleSpec(
        "E12_matures_after_cut_off",
        "到期日晚于封包日",
        "Matures after the cut-off",
        lambda f, r, c: f["maturity_date"] > pd.Timestamp(c.cut_off),
    ),
    RuleSpec(
        "E13_within_legal_maturity",
        "到期日不晚于法定到期日前N个月",
        "Matures ≥ N months before legal maturity",
        _legal_maturity,
    ),
    RuleSpec(
        "E14_asset_type_allowed", "资产类型符合交易模式", "Asset type allowed for the deal model", _asset_type
    ),
    RuleSpec(
        "E15_rights_verified",
        "数据资产确权核验通过",
        "Data-asset rights verified (V1–V9)",
        _flag("rights_passed", True),
        data_collateral=True,
    ),
    RuleSpec(
        "E16_pledge_perfected",
        "质押已在中登网登记且顺位第一",
        "Pledge perfected, first ranking (V7)",
        _flag("pledge_perfected", True),
        data_collateral=True,
    ),
    RuleSpec(
        "E17_pledgor_is_obligor",
        "出质人即债务人",
        "Pledgor (data holder) is the obligor",
        lambda f, r, c: f["holder_obligor_id"] == f["obligor_id"],
        data_collateral=True,
    ),
    RuleSpec(
        "E18_valuation_fresh",
        "评估基准日距封包日不超过N个月",
        "Valuation base date ≤ N months before cut-off",
        _valuation_fresh,
        data_collateral=True,
    ),
    RuleSpec(
        "E19_ltv_max",
        "质押率不超过上限",
        "LTV within the maximum",
        lambda f, r, c: _num("ltv")(f) <= float(r.max),
        data_collateral=True,
    ),
    RuleSpec(
        "E20_quality_min",
        "数据质量评分不低于下限",
        "Quality score Q at least the minimum",
        lambda f, r, c: _num("Q")(f) >= float(r.min),
        data_collateral=True,
    ),
    RuleSpec(
        "E21_general_data_only",
        "仅一般数据可质押",
        "Only general data may be pledged (GB/T 43697)",
        _in("classification"),
        data_collateral=True,
    ),
    RuleSpec(
        "E22_certificate_covers_maturity",
        "登记证书有效期覆盖到期日后N天",
        "Certificate valid ≥ maturity + N days",
        _certificate,
        data_collateral=True,
    ),
    RuleSpec(
        "E23_guarantor_in_force",
        "外部增信（保函/担保）有效",
        "External support in force where required",
        _guarantor,
    ),
)
RULE_IDS: tuple[str, ...] = tuple(r.id for r in RULES)


def rule_masks(frame: pd.DataFrame, policy: EligibilityPolicy, context: CutContext) -> pd.DataFrame:
    """One boolean column per enabled rule (True = passes); data-collateral rules pass unpledged assets."""
    masks: dict[str, np.ndarray] = {}
    for spec in RULES:
        setting = policy.rule(spec.id)
        if not setting.enabled:
            continue
        passed = spec.check(frame, setting, context).fillna(False).astype(bool).to_numpy()
        if spec.data_collateral:
            passed = passed | ~frame["data_pledged"].to_numpy()
        masks[spec.id] = passed
    return pd.DataFrame(masks, index=frame.index)


def evaluate(frame: pd.DataFrame, policy: EligibilityPolicy, context: CutContext) -> pd.DataFrame:
    """The ``eligibility`` frame: ``asset_id, eligible, failed_rules`` (failed ids joined by ``;``)."""
    masks = rule_masks(frame, policy, context)
    failed = ~masks.to_numpy()
    ids = np.array(masks.columns, dtype=object)
    labels = _join_failed(failed, ids)
    return pd.DataFrame(
        {
            "asset_id": frame["asset_id"].to_numpy(),
            "eligible": ~failed.any(axis=1),
            "failed_rules": labels,
        }
    )


def _join_failed(failed: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``;``-joined ids per row, built once per distinct failure pattern (there are few)."""
    codes = failed.astype(np.int64) @ np.left_shift(np.int64(1), np.arange(failed.shape[1], dtype=np.int64))
    unique, inverse = np.unique(codes, return_inverse=True)
    bits = (unique[:, None] >> np.arange(failed.shape[1], dtype=np.int64)) & 1
    labels = np.array([";".join(ids[row.astype(bool)]) for row in bits], dtype=object)
    return labels[inverse]


def describe_rules(policy: EligibilityPolicy) -> pd.DataFrame:
    """The declared rule list with its settings: ``id, zh, en, scope, enabled, params``."""
    rows = []
    for spec in RULES:
        setting = policy.rule(spec.id)
        params = setting.model_dump(exclude={"enabled"}, mode="json")
        rows.append(
            {
                "id": spec.id,
                "zh": spec.zh,
                "en": spec.en,
                "scope": "data_collateral" if spec.data_collateral else "all",
                "enabled": setting.enabled,
                "params": params,
            }
        )
    return pd.DataFrame(rows)
