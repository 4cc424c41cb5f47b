"""Pool constraints bind when they should; the MILP finds the brute-force optimum; infeasibility is explained."""

from __future__ import annotations

import itertools
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from dataabs.pool.constraints import ConstraintPolicy, check_pool, failed
from dataabs.pool.select import SelectionPolicy, greedy_select, select_pool
from tests.pool.pool_helpers import demo_frame, pool

PROVINCES = ["浙江省", "江西省", "陕西省", "江苏省"]


def balanced(n: int = 10, size: float = 10.0) -> list[tuple[str, str, str, float, bool, float]]:
    """n obligors of equal size over 4 industries and 4 provinces, all pledged, 24 months."""
    return [(f"O{i}", "ABCD"[i % 4], PROVINCES[i % 4], size, True, 24.0) for i in range(n)]


def failing(
    frame: pd.DataFrame, policy: ConstraintPolicy | None = None, model: str = "data_pledged_loan"
) -> set[str]:
    return {r.id for r in failed(check_pool(frame, policy, model))}  # type: ignore[arg-type]


def test_a_balanced_pool_passes_every_constraint() -> None:
    assert failing(pool(balanced())) == set()


CASES = {
    "P01_data_pledged_share": [(o, i, p, s, k < 5, t) for k, (o, i, p, s, _, t) in enumerate(balanced())],
    "P02_single_obligor": [*balanced(), ("O0", "A", PROVINCES[0], 20.0, True, 24.0)],
    "P03_top_obligors": [
        (o, i, p, 19.0 if k < 4 else s, True, t) for k, (o, i, p, s, _, t) in enumerate(balanced(12, 4.0))
    ],
    "P04_single_industry": [
        (o, "A" if k < 5 else i, p, s, True, t) for k, (o, i, p, s, _, t) in enumerate(balanced())
    ],
    "P05_single_province": [
        (o, i, PROVINCES[0] if k < 6 else p, s, True, t) for k, (o, i, p, s, _, t) in enumerate(balanced())
    ],
    "P06_min_provinces": [(o, i, PROVINCES[0], s, True, t) for (o, i, _, s, _, t) in balanced()],
    "P07_effective_obligors": [(o, i, p, s, True, t) for (o, i, p, s, _, t) in balanced(5)],
    "P08_wa_term_min": [(o, i, p, s, True, 3.0) for (o, i, p, s, _, _) in balanced()],
    "P09_wa_term_max": [(o, i, p, s, True, 200.0) for (o, i, p, s, _, _) in balanced()],
}


@pytest.mark.parametrize("cid", sorted(CASES))
def test_each_pool_constraint_binds(cid: str) -> None:
    policy = ConstraintPolicy(
        wa_term_min_months=6,
        wa_term_max_months=60,
        disabled=["P05_single_province"] if cid == "P06_min_provinces" else [],
    )
    assert cid in failing(pool(CASES[cid]), policy)


def test_exactly_at_a_cap_passes_and_a_fen_above_fails() -> None:
    rows = [*balanced(8), ("Z", "E", PROVINCES[1], 20.0, True, 24.0)]  # 20 of 100 = 20.00%
    assert "P02_single_obligor" not in failing(pool(rows))
    over = pool(rows)
    over.loc[over["obligor_id"] == "Z", "principal_fen"] += 1
    assert "P02_single_obligor" in failing(over)


def test_label_rule_is_off_for_data_empowered_deals_and_strict_at_half() -> None:
    frame = pool(CASES["P01_data_pledged_share"])  # exactly 50% pledged: not "above"
    assert "P01_data_pledged_share" in failing(frame)
    assert "P01_data_pledged_share" not in failing(frame, model="data_empowered")


def test_target_size_bounds() -> None:
    policy = ConstraintPolicy(target_principal=Decimal("90000000"), min_fill=0.9)
    assert failing(pool(balanced()), policy) == {"P10_target_max"}
    assert failing(pool(balanced(8)), policy) == {"P11_target_min"}


def test_demo_pool_passes_every_constraint() -> None:
    assert failing(demo_frame()) == set()


# --- selection ----------------------------------------------------------------------------------------------


def random_instance(seed: int, n: int = 14) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [
        (
            f"O{rng.integers(0, 12)}",
            "ABCD"[rng.integers(0, 4)],
            PROVINCES[rng.integers(0, 4)],
            round(float(rng.integers(5, 30)) + float(rng.integers(0, 10**6)) / 1e6, 6),
            bool(rng.random() < 0.6),
            float(rng.integers(6, 40)),
        )
        for _ in range(n)
    ]
    return pool(rows)


def brute_force(frame: pd.DataFrame, p: ConstraintPolicy) -> int:
    """Best feasible principal (fen) over every subset, with an independent vectorised check."""
    n = len(frame)
    x = np.array(list(itertools.product([0, 1], repeat=n)), dtype=np.int64)
    fen = frame["principal_fen"].to_numpy(np.int64)
    chosen = x * fen
    total = chosen.sum(axis=1)

    def groups(col: str) -> np.ndarray:
        codes = pd.factorize(frame[col])[0]
        return np.stack([chosen[:, codes == g].sum(axis=1) for g in range(codes.max() + 1)], axis=1)

    obl, ind, prov = groups("obligor_id"), groups("industry"), groups("province")
    pledged = chosen[:, frame["data_pledged"].to_numpy(bool)].sum(axis=1)
    term = (chosen * frame["remaining_term_months"].to_numpy()).sum(axis=1)
    top = -np.sort(-obl, axis=1)[:, : p.top_obligors].sum(axis=1)
    ok = (total > 0) & (pledged > p.data_pledged_share_min * total)
    ok &= (obl <= p.max_obligor_share * total[:, None]).all(axis=1)
    ok &= top <= p.max_top_obligors_share * total
    ok &= (ind <= p.max_industry_share * total[:, None]).all(axis=1)
    ok &= (prov <= p.max_province_share * total[:, None]).all(axis=1)
    ok &= (prov > 0).sum(axis=1) >= p.min_provinces
    ok &= (obl.astype(float) ** 2).sum(axis=1) * p.min_effective_obligors <= total.astype(float) ** 2
    ok &= (term >= p.wa_term_min_months * total) & (term <= p.wa_term_max_months * total)
    target = int(p.target_principal * 100) if p.target_principal else None
    if target:
        ok &= (total <= target) & (total >= p.min_fill * target)
    return int(total[ok].max()) if ok.any() else -1


@pytest.mark.parametrize("seed", range(1, 11))
def test_milp_selection_equals_the_brute_force_optimum(seed: int) -> None:
    frame = random_instance(seed)
    policy = ConstraintPolicy(
        target_principal=Decimal(int(frame["principal_fen"].sum() * 0.7) // 100),
        min_fill=0.0,
        min_effective_obligors=5.0,
        wa_term_min_months=10,
        wa_term_max_months=30,
        max_obligor_share=0.25,
        max_industry_share=0.5,
    )
    best = brute_force(frame, policy)
    result = select_pool(frame, policy, "data_pledged_loan")
    if best < 0:
        assert result.status == "infeasible"
        return
    assert result.method == "milp" and result.status == "optimal"
    assert result.principal_fen == best
    assert not failed(check_pool(result.pool(frame), policy, "data_pledged_loan"))
    assert result.gap is not None and result.gap <= 1e-3


def test_hhi_binds_and_is_enforced_by_cuts() -> None:
    rows = [
        ("BIG1", "A", PROVINCES[0], 30.0, True, 24.0),
        ("BIG2", "B", PROVINCES[1], 30.0, True, 24.0),
        *[(f"S{i}", "CDE"[i % 3], PROVINCES[i % 4], 8.0, True, 24.0) for i in range(8)],
    ]
    frame = pool(rows)
    policy = ConstraintPolicy(
        max_obligor_share=0.25,
        max_top_obligors_share=0.9,
        max_industry_share=0.6,
        target_principal=Decimal("200000000"),
        min_fill=0.0,
        min_effective_obligors=7.0,
    )
    best = brute_force(frame, policy)
    result = select_pool(frame, policy, "data_pledged_loan")
    assert result.principal_fen == best
    summary = {r.id: r for r in result.results}
    assert summary["P07_effective_obligors"].value >= 7.0
    assert "P07_effective_obligors" in failing(frame, policy)


def test_all_candidates_taken_when_they_pass() -> None:
    frame = demo_frame()
    result = select_pool(frame, ConstraintPolicy(target_principal=Decimal("133700000")), "data_pledged_loan")
    assert result.method == "all" and result.selected.all() and result.gap == 0.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_greedy_fallback_gives_a_valid_pool_with_a_gap(seed: int) -> None:
    frame = random_instance(seed, 40)
    policy = ConstraintPolicy(
        target_principal=Decimal(int(frame["principal_fen"].sum() * 0.5) // 100),
        min_fill=0.5,
        min_effective_obligors=5.0,
    )
    result = select_pool(frame, policy, "data_pledged_loan", SelectionPolicy(method="greedy"))
    assert result.method == "greedy"
    if result.status != "infeasible":
        assert not failed(check_pool(result.pool(frame), policy, "data_pledged_loan"))
        assert result.upper_bound_fen is not None and 0.0 <= (result.gap or 0.0) < 1.0
    chosen = greedy_select(frame, policy, "data_pledged_loan")
    assert chosen.dtype == bool and len(chosen) == len(frame)


def test_infeasible_target_names_the_label_rule() -> None:
    rows = [(f"P{i}", "ABCD"[i % 4], PROVINCES[i % 4], 3.0, True, 24.0) for i in range(10)]
    rows += [(f"U{i}", "ABCD"[i % 4], PROVINCES[i % 4], 10.0, False, 24.0) for i in range(10)]
    policy = ConstraintPolicy(target_principal=Decimal("120000000"), min_fill=0.9)
    result = select_pool(pool(rows), policy, "data_pledged_loan", SelectionPolicy(time_limit_seconds=10))
    assert result.status == "infeasible"
    assert "P01_data_pledged_share" in result.binding
    assert "P01_data_pledged_share binds" in result.explanation
    assert not result.selected.any()


def test_infeasible_when_eligible_principal_is_short_of_the_minimum_fill() -> None:
    policy = ConstraintPolicy(target_principal=Decimal("500000000"), min_fill=0.95)
    result = select_pool(pool(balanced()), policy, "data_pledged_loan")
    assert result.status == "infeasible" and result.binding == ["P11_target_min"]
    assert "below the minimum" in result.explanation


@pytest.mark.parametrize("seed", range(1, 7))
def test_large_instance_path_gives_a_valid_pool_and_a_valid_bound(seed: int) -> None:
    """Above ``exact_max_candidates``: greedy-and-repair, bound from the grouped LP; bound ≥ brute force ≥ pool."""
    frame = random_instance(seed)
    policy = ConstraintPolicy(
        target_principal=Decimal(int(frame["principal_fen"].sum() * 0.7) // 100),
        min_fill=0.0,
        min_effective_obligors=5.0,
        wa_term_min_months=10,
        wa_term_max_months=30,
        max_obligor_share=0.25,
        max_industry_share=0.5,
    )
    best = brute_force(frame, policy)
    result = select_pool(frame, policy, "data_pledged_loan", SelectionPolicy(exact_max_candidates=1))
    if result.status == "infeasible":
        return
    assert result.method == "greedy"
    assert not failed(check_pool(result.pool(frame), policy, "data_pledged_loan"))
    assert result.upper_bound_fen is not None and result.upper_bound_fen >= best >= result.principal_fen
    assert result.gap is not None and 0.0 <= result.gap < 1.0
