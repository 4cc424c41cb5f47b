"""Reconciliation (评估结论的确定): one final value from the methods used, with the reason in Chinese and English.

Rules (``reconciliation.rule`` in ``valuation.yaml``):

- ``weighted``: ``Σ w_m · P_m`` with the file's method weights (they must cover exactly the methods used);
- ``min``: the lowest method value — the conservative choice for collateral;
- ``income_primary``: the income value when it is present and positive, otherwise the first positive value in
  ``fallback`` order (default market, then cost).

With a single method the final value is that method's value whatever the rule. Method values enter as reported
(already rounded to the fen) and the final value is rounded to the fen again.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from dataabs.money import round_fen
from dataabs.valuation.model import Method, Reconciled, ReconciliationSpec

METHOD_ZH: dict[Method, str] = {"income": "收益法", "cost": "成本法", "market": "市场法"}


def yuan(amount: Decimal) -> str:
    """An amount as ``¥1,234,567.89``."""
    return f"¥{round_fen(amount):,.2f}"


def _listing_zh(values: Mapping[Method, Decimal]) -> str:
    return "、".join(f"{METHOD_ZH[m]}{yuan(v)}" for m, v in values.items())


def _listing_en(values: Mapping[Method, Decimal]) -> str:
    return ", ".join(f"{m} {yuan(v)}" for m, v in values.items())


def _single(values: Mapping[Method, Decimal]) -> Reconciled:
    (method, value), *_ = values.items()
    return Reconciled(
        value=round_fen(value),
        rule="single",
        reason_zh=f"仅采用{METHOD_ZH[method]}，评估结论为{yuan(value)}。",
        reason_en=f"Only the {method} approach was used; the final value is {yuan(value)}.",
    )


def _weighted(values: Mapping[Method, Decimal], weights: Mapping[Method, Decimal]) -> Reconciled:
    final = round_fen(sum((weights[m] * v for m, v in values.items()), Decimal(0)))
    zh = "、".join(f"{METHOD_ZH[m]}{weights[m]:.0%}" for m in values)
    en = ", ".join(f"{m} {weights[m]:.0%}" for m in values)
    return Reconciled(
        value=final,
        rule="weighted",
        reason_zh=f"各方法结果：{_listing_zh(values)}；按权重（{zh}）加权平均，评估结论为{yuan(final)}。",
        reason_en=f"Method values: {_listing_en(values)}; weighted average ({en}) gives {yuan(final)}.",
    )


def _minimum(values: Mapping[Method, Decimal]) -> Reconciled:
    method = min(values, key=lambda m: values[m])
    final = round_fen(values[method])
    return Reconciled(
        value=final,
        rule="min",
        reason_zh=f"各方法结果：{_listing_zh(values)}；出于审慎原则取最低值（{METHOD_ZH[method]}），"
        f"评估结论为{yuan(final)}。",
        reason_en=f"Method values: {_listing_en(values)}; the lowest ({method}) is taken as the prudent "
        f"collateral value, {yuan(final)}.",
    )


def _income_primary(values: Mapping[Method, Decimal], fallback: list[Method]) -> Reconciled:
    order: list[Method] = ["income", *[m for m in fallback if m != "income"]]
    usable = [m for m in order if m in values and values[m] > 0]
    if not usable:
        return Reconciled(
            value=Decimal("0.00"),
            rule="income_primary",
            reason_zh=f"各方法结果：{_listing_zh(values)}；收益法及备选方法均无正值，无法形成评估结论。",
            reason_en=f"Method values: {_listing_en(values)}; neither income nor a fall-back method gives a "
            "positive value, so there is no conclusion.",
        )
    method = usable[0]
    final = round_fen(values[method])
    if method == "income":
        why_zh = "收益法反映数据资产的预期收益，予以采用"
        why_en = "income reflects the expected earnings of the data and is taken"
    else:
        why_zh = f"收益法未采用或结果非正，依次采用备选方法{METHOD_ZH[method]}"
        why_en = f"income is absent or not positive, so the first usable fall-back ({method}) is taken"
    return Reconciled(
        value=final,
        rule="income_primary",
        reason_zh=f"各方法结果：{_listing_zh(values)}；{why_zh}，评估结论为{yuan(final)}。",
        reason_en=f"Method values: {_listing_en(values)}; {why_en}: {yuan(final)}.",
    )


def reconcile(values: Mapping[Method, Decimal], spec: ReconciliationSpec) -> Reconciled:
    """The final value of a data asset from its method values under the configured rule."""
    if not values:
        raise ValueError("reconcile needs at least one method value")
    if len(values) == 1:
        return _single(values)
    if spec.rule == "weighted":
        return _weighted(values, spec.weights)
    if spec.rule == "min":
        return _minimum(values)
    return _income_primary(values, spec.fallback)
