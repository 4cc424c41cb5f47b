"""Selection of the pool (资产筛选): the subset of eligible assets with the most principal that meets every rule.

A mixed-integer programme solved by HiGHS (``scipy.optimize.milp``): one binary per candidate, the pool total ``t``
as a variable, and every pool constraint made linear —

- caps on obligor, industry and province shares: ``cap·t − Σ_group p_i x_i ≥ 0`` (rows that cannot bind dropped);
- top-N obligors ≤ cap: the LP form of the sum of the N largest, ``N·u + Σ_o v_o ≤ cap·t``, ``v_o ≥ P_o − u``;
- label share: ``Σ (d_i − s) p_i x_i ≥ ε``; minimum provinces: a binary per province, ``z_r ≤ Σ_{i∈r} x_i``;
- WA remaining term: ``Σ p_i (term_i − a) x_i ≥ 0`` and ``Σ p_i (b − term_i) x_i ≥ 0``; target: bounds on ``t``;
- effective obligors ``1/HHI ≥ m`` ⇔ ``‖P‖₂ ≤ t/√m`` (a second-order cone): tangent cuts ``(P*/‖P*‖)·P ≤ t/√m``
  added at each solution that violates it; if cuts do not settle it, a per-obligor cap of ``1/m`` (which implies
  ``HHI ≤ 1/m``) is imposed instead.

Every solution is verified exactly by :func:`~dataabs.pool.constraints.check_pool`. When the solver fails or
runs out of time without a verified pool, a greedy-and-repair heuristic runs instead, and its gap is measured
against the LP relaxation. An infeasible target is explained by relaxing one constraint at a time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from dataabs.package.schema import DealModel
from dataabs.pool.constraints import ConstraintPolicy, ConstraintResult, check_pool, failed
from dataabs.pool.rules import EligibilityPolicy

Method = Literal["all", "milp", "greedy", "none"]
Status = Literal["optimal", "feasible", "infeasible"]
CAP_MARGIN = 1e-7


class SelectionPolicy(BaseModel):
    """Solver settings of the selection."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time_limit_seconds: float = Field(default=60.0, gt=0)
    mip_rel_gap: float = Field(default=1e-4, ge=0, description="HiGHS stops when the gap is below this.")
    max_hhi_cuts: int = Field(default=12, ge=0)
    method: Literal["milp", "greedy"] = "milp"
    exact_max_candidates: int = Field(
        default=5000,
        ge=1,
        description="Above this many candidates the asset-level MILP is skipped (HiGHS presolve alone takes "
        "minutes at 10^5 and ignores the time limit): greedy-and-repair, gap against a grouped LP bound.",
    )
    greedy_passes: int = Field(default=16, ge=1, description="Cap on the greedy's floor steps (0.97 each).")


class PoolPolicy(BaseModel):
    """The ``pool:`` section of ``policy.yaml``: eligibility rules, pool constraints and selection settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    eligibility: EligibilityPolicy = EligibilityPolicy()
    constraints: ConstraintPolicy = ConstraintPolicy()
    selection: SelectionPolicy = SelectionPolicy()


@dataclass(frozen=True)
class Selection:
    """The chosen pool: which candidates, how it was found, how far from optimal, and why if infeasible."""

    selected: np.ndarray
    method: Method
    status: Status
    principal_fen: int
    upper_bound_fen: int | None
    gap: float | None
    results: list[ConstraintResult]
    seconds: float
    hhi_cuts: int = 0
    binding: list[str] = field(default_factory=list)
    explanation: str = ""

    def pool(self, candidates: pd.DataFrame) -> pd.DataFrame:
        """The selected rows of the candidate frame."""
        return candidates[self.selected]


@dataclass
class _Data:
    """Candidate arrays in solver units (principal scaled to O(1))."""

    p: np.ndarray
    scale: float
    pledged: np.ndarray
    term: np.ndarray
    obligor: np.ndarray
    industry: np.ndarray
    province: np.ndarray
    term_for_max: np.ndarray | None = None  # term in the WA-maximum row when it differs (grouped bound)
    obligor_free: np.ndarray | None = None  # obligor codes that stand for several small obligors (no rows)

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _Data:
        """Arrays of a candidate frame; group keys as integer codes."""
        fen = frame["principal_fen"].to_numpy(dtype=np.float64)
        scale = float(fen.max()) if len(fen) and fen.max() > 0 else 1.0
        return cls(
            fen / scale,
            scale,
            frame["data_pledged"].to_numpy(dtype=bool),
            frame["remaining_term_months"].to_numpy(dtype=np.float64),
            *(pd.factorize(frame[k])[0] for k in ("obligor_id", "industry", "province")),
        )

    @property
    def n(self) -> int:
        return len(self.p)

    def obligor_totals(self) -> np.ndarray:
        """Candidate principal per obligor code; pooled codes of small obligors count as nil."""
        totals = np.bincount(self.obligor, weights=self.p)
        if self.obligor_free is not None:
            totals[self.obligor_free[: len(totals)]] = 0.0
        return totals


class _Rows:
    """Sparse rows ``lb ≤ A·y ≤ ub`` collected before one matrix is built."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lb: list[float] = []
        self.ub: list[float] = []

    def add(
        self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, lb: np.ndarray, ub: np.ndarray
    ) -> None:
        """Add a block of rows; ``rows`` are local (0-based within the block)."""
        base = len(self.lb)
        self.r.append(rows + base)
        self.c.append(cols)
        self.v.append(vals)
        self.lb.extend(np.broadcast_to(lb, (int(rows.max()) + 1 if len(rows) else 0,)).tolist())
        self.ub.extend(np.broadcast_to(ub, (int(rows.max()) + 1 if len(rows) else 0,)).tolist())

    def constraint(self, width: int) -> LinearConstraint:
        a = coo_matrix(
            (np.concatenate(self.v), (np.concatenate(self.r), np.concatenate(self.c))),
            shape=(len(self.lb), width),
        ).tocsr()
        return LinearConstraint(a, np.array(self.lb), np.array(self.ub))


@dataclass
class _Model:
    """The MILP of one selection: variable layout and the active constraint ids."""

    data: _Data
    policy: ConstraintPolicy
    active: tuple[str, ...]
    t_lb: float
    t_ub: float
    cuts: list[np.ndarray] = field(default_factory=list)
    obligor_cap: float | None = None
    top_set: np.ndarray | None = None  # obligor codes given a top-N slack variable (the rest: lazily added)

    def solve(self, time_limit: float, gap: float, relax: bool = False) -> object:
        """Build and solve (``relax`` drops integrality: the LP relaxation)."""
        d, n = self.data, self.data.n
        n_prov = int(d.province.max()) + 1 if n else 0
        top = "P03_top_obligors" in self.active and self._top_can_bind()
        provinces = "P06_min_provinces" in self.active and self._provinces_can_bind()
        if top and self.top_set is None:
            self.top_set = self._top_candidates()
        n_top = len(self.top_set) if top and self.top_set is not None else 0
        t, u = n, n + 1
        v0 = n + 2
        z0 = v0 + n_top
        width = z0 + (n_prov if provinces else 0)
        rows = _Rows()
        idx = np.arange(n)
        rows.add(
            np.zeros(n + 1, dtype=int), np.append(idx, t), np.append(d.p, -1.0), np.array(0.0), np.array(0.0)
        )
        for cap, codes, per_obligor in self._caps():
            self._cap_rows(rows, cap, codes, t, per_obligor)
        if top:
            self._top_rows(rows, t, u, v0)
        if "P01_data_pledged_share" in self.active:
            s = self.policy.data_pledged_share_min
            coef = (d.pledged.astype(float) - s) * d.p
            rows.add(np.zeros(n, dtype=int), idx, coef, np.array(max(1e-6, 1.0 / d.scale)), np.array(np.inf))
        if provinces:
            self._province_rows(rows, n_prov, z0)
        for cid, lo in (("P08_wa_term_min", True), ("P09_wa_term_max", False)):
            if cid in self.active:
                self._term_rows(rows, lo)
        for w in self.cuts:
            m = self.policy.min_effective_obligors
            rows.add(
                np.zeros(n + 1, dtype=int),
                np.append(idx, t),
                np.append(w[d.obligor] * d.p, -1 / math.sqrt(m)),
                np.array(-np.inf),
                np.array(0.0),
            )
        lower = np.zeros(width)
        upper = np.ones(width)
        lower[t], upper[t] = self.t_lb, self.t_ub
        lower[u], upper[u] = 0.0, np.inf  # u ≥ 0 keeps the sum-of-N-largest form exact with < N obligors
        upper[v0:z0] = np.inf
        integrality = np.zeros(width)
        if not relax:
            integrality[:n] = 1
            integrality[z0:] = 1
        cost = np.zeros(width)
        cost[t] = -1.0
        return milp(
            cost,
            constraints=rows.constraint(width),
            integrality=integrality,
            bounds=Bounds(lower, upper),
            options={"time_limit": max(time_limit, 0.1), "mip_rel_gap": gap, "disp": False},
        )

    def _caps(self) -> list[tuple[float, np.ndarray, bool]]:
        """(cap, group codes, per obligor?) of the share caps in force, tightened by a hair for tolerance."""
        caps = [
            (self.policy.max_obligor_share, "P02_single_obligor", self.data.obligor, True),
            (self.policy.max_industry_share, "P04_single_industry", self.data.industry, False),
            (self.policy.max_province_share, "P05_single_province", self.data.province, False),
        ]
        out = [(cap - CAP_MARGIN, codes, mine) for cap, cid, codes, mine in caps if cid in self.active]
        if self.obligor_cap is not None:
            out.append((self.obligor_cap - CAP_MARGIN, self.data.obligor, True))
        return out

    def _cap_rows(self, rows: _Rows, cap: float, codes: np.ndarray, t: int, per_obligor: bool) -> None:
        """``cap·t − Σ_group p x ≥ 0`` for groups whose whole candidate principal could exceed the cap."""
        totals = self.data.obligor_totals() if per_obligor else np.bincount(codes, weights=self.data.p)
        binding = np.flatnonzero(totals > cap * self.t_lb)
        if not len(binding):
            return
        local = np.full(len(totals), -1)
        local[binding] = np.arange(len(binding))
        members = np.flatnonzero(local[codes] >= 0)
        r = np.concatenate([local[codes[members]], np.arange(len(binding))])
        c = np.concatenate([members, np.full(len(binding), t)])
        v = np.concatenate([-self.data.p[members], np.full(len(binding), cap)])
        rows.add(r, c, v, np.array(0.0), np.array(np.inf))

    def _obligor_reach(self) -> np.ndarray:
        """The most each obligor can hold in a pool: its candidate total, within the obligor cap at the target."""
        totals = self.data.obligor_totals()
        caps = [self.obligor_cap] if self.obligor_cap is not None else []
        if "P02_single_obligor" in self.active:
            caps.append(self.policy.max_obligor_share)
        return np.minimum(totals, min(caps) * self.t_ub) if caps else totals

    def _top_can_bind(self) -> bool:
        """The N largest reachable obligor holdings together could exceed the cap at the minimum size."""
        reach = np.sort(self._obligor_reach())[::-1]
        return bool(reach[: self.policy.top_obligors].sum() > self.policy.max_top_obligors_share * self.t_lb)

    def _top_candidates(self) -> np.ndarray:
        """Obligors modelled in the top-N rows: the largest reachable ones (more are added if a pool breaks it)."""
        reach = self._obligor_reach()
        count = min(int((reach > 0).sum()), max(8 * self.policy.top_obligors, 40))
        return np.sort(np.argsort(-reach, kind="stable")[:count])

    def extend_top(self, chosen: np.ndarray) -> bool:
        """Add the chosen pool's N largest obligors to the modelled set; False if nothing new (or none can be)."""
        if self.top_set is None:
            return False
        d = self.data
        held = np.bincount(d.obligor[chosen], weights=d.p[chosen], minlength=int(d.obligor.max()) + 1)
        if d.obligor_free is not None:
            held[d.obligor_free[: len(held)]] = 0.0
        largest = np.argsort(-held, kind="stable")[: 2 * self.policy.top_obligors]
        new = np.union1d(self.top_set, largest[held[largest] > 0])
        grew = len(new) > len(self.top_set)
        self.top_set = new
        return grew

    def _top_rows(self, rows: _Rows, t: int, u: int, v0: int) -> None:
        """Sum of the N largest obligor totals ≤ cap·t, via ``N·u + Σ v_o`` with ``v_o + u − P_o ≥ 0``.

        Only obligors in ``top_set`` get a ``v_o``: leaving the others out relaxes the row (their holdings are
        not counted), so the model stays a relaxation, every pool is verified, and a pool whose top N includes
        an unmodelled obligor adds it and re-solves.
        """
        d, k = self.data, self.policy.top_obligors
        cap = self.policy.max_top_obligors_share - CAP_MARGIN
        assert self.top_set is not None
        m = len(self.top_set)
        local = np.full(int(d.obligor.max()) + 1, -1)
        local[self.top_set] = np.arange(m)
        members = np.flatnonzero(local[d.obligor] >= 0)
        r = np.concatenate([local[d.obligor[members]], np.arange(m), np.arange(m)])
        c = np.concatenate([members, v0 + np.arange(m), np.full(m, u)])
        v = np.concatenate([-d.p[members], np.ones(m), np.ones(m)])
        rows.add(r, c, v, np.array(0.0), np.array(np.inf))
        rows.add(
            np.zeros(m + 2, dtype=int),
            np.concatenate([[u, t], v0 + np.arange(m)]),
            np.concatenate([[float(k), -cap], np.ones(m)]),
            np.array(-np.inf),
            np.array(0.0),
        )

    def _provinces_can_bind(self) -> bool:
        """Minimum provinces is implied by the province cap (⌈1/cap⌉ provinces at least) when that is enough."""
        if "P05_single_province" in self.active:
            implied = math.ceil(1.0 / self.policy.max_province_share - 1e-9)
            return implied < self.policy.min_provinces
        return True

    def _province_rows(self, rows: _Rows, n_prov: int, z0: int) -> None:
        """``z_r − Σ_{i∈r} x_i ≤ 0`` and ``Σ z_r ≥ minimum``."""
        d = self.data
        r = np.concatenate([d.province, np.arange(n_prov)])
        c = np.concatenate([np.arange(d.n), z0 + np.arange(n_prov)])
        v = np.concatenate([-np.ones(d.n), np.ones(n_prov)])
        rows.add(r, c, v, np.array(-np.inf), np.array(0.0))
        rows.add(
            np.zeros(n_prov, dtype=int),
            z0 + np.arange(n_prov),
            np.ones(n_prov),
            np.array(float(self.policy.min_provinces)),
            np.array(np.inf),
        )

    def _term_rows(self, rows: _Rows, low: bool) -> None:
        """WA remaining term bound as ``Σ p (term − a) x ≥ 0`` or ``Σ p (b − term) x ≥ 0``."""
        d = self.data
        high = d.term if d.term_for_max is None else d.term_for_max
        diff = d.term - self.policy.wa_term_min_months if low else self.policy.wa_term_max_months - high
        if (diff >= 0).all():
            return
        rows.add(np.zeros(d.n, dtype=int), np.arange(d.n), d.p * diff, np.array(0.0), np.array(np.inf))


def select_pool(
    candidates: pd.DataFrame,
    constraints: ConstraintPolicy | None = None,
    deal_model: DealModel | None = None,
    settings: SelectionPolicy | None = None,
) -> Selection:
    """Choose the pool from eligible candidates: all of them if they pass, else the optimum of the MILP."""
    policy, settings = constraints or ConstraintPolicy(), settings or SelectionPolicy()
    start = time.perf_counter()
    everything = np.ones(len(candidates), dtype=bool)
    results = check_pool(candidates, policy, deal_model)
    if not failed(results):
        total = int(candidates["principal_fen"].sum())
        return Selection(
            everything, "all", "optimal", total, total, 0.0, results, time.perf_counter() - start
        )
    if settings.method == "milp" and len(candidates) <= settings.exact_max_candidates:
        found = _solve_milp(candidates, policy, deal_model, settings, start)
        if found is not None:
            return found
    return _greedy_result(candidates, policy, deal_model, settings, start)


def _bounds(data: _Data, policy: ConstraintPolicy, active: tuple[str, ...]) -> tuple[float, float]:
    """Bounds on the scaled pool total from the target size."""
    target = policy.target_fen()
    upper = target / data.scale if target is not None and "P10_target_max" in active else float(data.p.sum())
    lower = (
        target * policy.min_fill / data.scale if target is not None and "P11_target_min" in active else 0.0
    )
    return lower, upper


def _model(candidates: pd.DataFrame, policy: ConstraintPolicy, deal_model: DealModel | None) -> _Model:
    data = _Data.of(candidates)
    active = policy.active(deal_model)
    return _Model(data, policy, active, *_bounds(data, policy, active))


def _milp_loop(
    candidates: pd.DataFrame,
    policy: ConstraintPolicy,
    deal_model: DealModel | None,
    settings: SelectionPolicy,
    start: float,
) -> tuple[np.ndarray | None, object, _Model, bool]:
    """Solve, verify, add an HHI cut (then the 1/m obligor cap) until verified: (chosen, result, model, infeasible)."""
    model = _model(candidates, policy, deal_model)
    while True:
        remaining = settings.time_limit_seconds - (time.perf_counter() - start)
        res = model.solve(remaining, settings.mip_rel_gap)
        if res.x is None:  # type: ignore[attr-defined]
            return None, res, model, res.status == 2  # type: ignore[attr-defined]
        chosen = res.x[: model.data.n] > 0.5  # type: ignore[attr-defined]
        bad = {r.id for r in failed(check_pool(candidates[chosen], policy, deal_model))}
        if not bad:
            return chosen, res, model, False
        if not bad <= {"P03_top_obligors", "P07_effective_obligors"} or remaining <= 0:
            return None, res, model, False
        if "P03_top_obligors" in bad:
            if not model.extend_top(chosen):
                return None, res, model, False
        elif len(model.cuts) < settings.max_hhi_cuts:
            model.cuts.append(_hhi_cut(model.data, chosen))
        elif model.obligor_cap is None:
            model.obligor_cap = 1.0 / policy.min_effective_obligors
        else:
            return None, res, model, False


def _solve_milp(
    candidates: pd.DataFrame,
    policy: ConstraintPolicy,
    deal_model: DealModel | None,
    settings: SelectionPolicy,
    start: float,
) -> Selection | None:
    """The verified MILP pool, the infeasibility explanation, or None (the caller falls back to greedy)."""
    chosen, res, model, infeasible = _milp_loop(candidates, policy, deal_model, settings, start)
    if infeasible:
        return _infeasible(candidates, policy, deal_model, settings, start, "milp")
    if chosen is None:
        return None
    return _milp_result(
        candidates, chosen, res, model, check_pool(candidates[chosen], policy, deal_model), start
    )


def _hhi_cut(data: _Data, chosen: np.ndarray) -> np.ndarray:
    """Unit direction of the obligor totals of a solution: the tangent cut ``w·P ≤ t/√m``."""
    totals = np.bincount(data.obligor[chosen], weights=data.p[chosen], minlength=int(data.obligor.max()) + 1)
    return totals / np.linalg.norm(totals)


def _milp_result(
    candidates: pd.DataFrame,
    chosen: np.ndarray,
    res: object,
    model: _Model,
    results: list[ConstraintResult],
    start: float,
) -> Selection:
    total = int(candidates["principal_fen"].to_numpy()[chosen].sum())
    bound = getattr(res, "mip_dual_bound", None)
    upper = (
        max(total, round(-float(bound) * model.data.scale))
        if bound is not None and np.isfinite(bound)
        else None
    )
    gap = (upper - total) / upper if upper else None
    status: Status = "optimal" if res.status == 0 else "feasible"  # type: ignore[attr-defined]
    return Selection(
        chosen, "milp", status, total, upper, gap, results, time.perf_counter() - start, len(model.cuts)
    )


# --- greedy and repair --------------------------------------------------------------------------------------


@dataclass
class _Running:
    """Running totals of a pool built one asset at a time (``top`` holds the N largest obligor totals)."""

    total: float = 0.0
    unpledged: float = 0.0
    squares: float = 0.0
    term_lo: float = 0.0
    term_hi: float = 0.0
    by_obligor: dict[int, float] = field(default_factory=dict)
    by_industry: dict[int, float] = field(default_factory=dict)
    by_province: dict[int, float] = field(default_factory=dict)
    top: dict[int, float] = field(default_factory=dict)

    def top_sum_with(self, o: int, new_total: float, k: int) -> float:
        """Sum of the N largest obligor totals if obligor ``o`` had ``new_total``."""
        values = [v for key, v in self.top.items() if key != o] + [new_total]
        return sum(sorted(values, reverse=True)[:k])

    def add(self, x: float, o: int, ind: int, prov: int, pledged: bool, lo: float, hi: float, k: int) -> None:
        """Add one candidate of principal ``x`` (``lo``/``hi``: its terms in the WA-term rows)."""
        old = self.by_obligor.get(o, 0.0)
        self.squares += (old + x) ** 2 - old**2
        self.by_obligor[o] = old + x
        self.by_industry[ind] = self.by_industry.get(ind, 0.0) + x
        self.by_province[prov] = self.by_province.get(prov, 0.0) + x
        self.total += x
        self.unpledged += 0.0 if pledged else x
        self.term_lo += lo
        self.term_hi += hi
        self.top[o] = old + x
        if len(self.top) > k:
            del self.top[min(self.top, key=self.top.__getitem__)]


@dataclass(frozen=True)
class _Limits:
    """The greedy's view of the policy: which checks are on and their limits (caps tightened by the margin)."""

    obligor: float | None
    industry: float | None
    province: float | None
    top: float | None
    top_n: int
    hhi: float | None
    unpledged: float | None
    term_lo: bool
    term_hi: bool

    @classmethod
    def of(cls, p: ConstraintPolicy, active: tuple[str, ...]) -> _Limits:
        on = set(active)

        def cap(cid: str, value: float) -> float | None:
            return value - CAP_MARGIN if cid in on else None

        return cls(
            cap("P02_single_obligor", p.max_obligor_share),
            cap("P04_single_industry", p.max_industry_share),
            cap("P05_single_province", p.max_province_share),
            cap("P03_top_obligors", p.max_top_obligors_share),
            p.top_obligors,
            1.0 / p.min_effective_obligors if "P07_effective_obligors" in on else None,
            1 - p.data_pledged_share_min - CAP_MARGIN if "P01_data_pledged_share" in on else None,
            "P08_wa_term_min" in on,
            "P09_wa_term_max" in on,
        )


def _greedy_pass(
    data: _Data,
    policy: ConstraintPolicy,
    active: tuple[str, ...],
    floor: float,
    ceiling: float,
    chosen: np.ndarray,
    order: list[int],
) -> np.ndarray:
    """Add candidates in ``order`` while every constraint holds against ``max(floor, new total)``.

    One pass is O(n) dictionary updates (plus O(N log N) for the top-N check of each accepted asset).
    """
    lim = _Limits.of(policy, active)
    p, obl, ind, prov = data.p.tolist(), data.obligor.tolist(), data.industry.tolist(), data.province.tolist()
    pledged = data.pledged.tolist()
    lo = (data.p * (data.term - policy.wa_term_min_months)).tolist()
    hi = (data.p * (policy.wa_term_max_months - data.term)).tolist()
    k = policy.top_obligors
    run = _Running()
    for i in np.flatnonzero(chosen).tolist():
        run.add(p[i], obl[i], ind[i], prov[i], pledged[i], lo[i], hi[i], k)
    limit = ceiling * (1 + 1e-12)
    for i in order:
        x = p[i]
        if chosen[i] or run.total + x > limit:
            continue
        base = max(floor, run.total + x)
        o = obl[i]
        old = run.by_obligor.get(o, 0.0)
        new_o = old + x
        if lim.obligor is not None and new_o > lim.obligor * base:
            continue
        if lim.industry is not None and run.by_industry.get(ind[i], 0.0) + x > lim.industry * base:
            continue
        if lim.province is not None and run.by_province.get(prov[i], 0.0) + x > lim.province * base:
            continue
        if lim.unpledged is not None and not pledged[i] and run.unpledged + x >= lim.unpledged * base:
            continue
        if lim.term_lo and run.term_lo + lo[i] < 0:
            continue
        if lim.term_hi and run.term_hi + hi[i] < 0:
            continue
        if lim.hhi is not None and run.squares - old**2 + new_o**2 > base**2 * lim.hhi:
            continue
        if lim.top is not None and run.top_sum_with(o, new_o, k) > lim.top * base:
            continue
        run.add(x, o, ind[i], prov[i], pledged[i], lo[i], hi[i], k)
        chosen[i] = True
    return chosen


def greedy_select(
    candidates: pd.DataFrame,
    policy: ConstraintPolicy,
    deal_model: DealModel | None,
    passes: int = 16,
    order: list[int] | None = None,
) -> np.ndarray:
    """Greedy-and-repair: budgets against a floor stepped down from the largest reachable size, then top-up.

    Candidates largest first unless an ``order`` is given (one sort, reused); each floor costs two O(n) passes and one exact check, and at
    most ``passes`` floors are tried (0.97 apart), so the whole is O(n log n + passes·n).
    """
    data = _Data.of(candidates)
    active = policy.active(deal_model)
    lower, upper = _bounds(data, policy, active)
    order = np.argsort(-data.p, kind="stable").tolist() if order is None else order
    best = np.zeros(data.n, dtype=bool)
    for step in range(passes):
        floor = upper * (0.97**step)
        if floor < lower * (1 - 1e-12):
            break
        chosen = _greedy_pass(data, policy, active, floor, upper, np.zeros(data.n, dtype=bool), order)
        chosen = _greedy_pass(data, policy, active, 0.0, upper, chosen, order)
        if not failed(check_pool(candidates[chosen], policy, deal_model)):
            return chosen
        best = chosen if data.p[chosen].sum() > data.p[best].sum() else best
    return best


def _greedy_result(
    candidates: pd.DataFrame,
    policy: ConstraintPolicy,
    deal_model: DealModel | None,
    settings: SelectionPolicy,
    start: float,
) -> Selection:
    """The greedy pool with its gap against an upper bound, or the infeasibility explanation.

    When the size bound does not prove the greedy pool optimal, the LP relaxation that gives the bound also
    guides a second greedy (candidates of the LP's chosen groups first) and the better verified pool is kept.
    """
    chosen = greedy_select(candidates, policy, deal_model, settings.greedy_passes)
    results = check_pool(candidates[chosen], policy, deal_model)
    if failed(results):
        return _infeasible(candidates, policy, deal_model, settings, start, "greedy")
    fen = candidates["principal_fen"].to_numpy()
    total = int(fen[chosen].sum())
    upper, guide = _upper_bound(candidates, policy, deal_model, settings, start, total)
    if guide is not None:
        order = np.lexsort((-fen, -np.round(guide, 6))).tolist()
        second = greedy_select(candidates, policy, deal_model, settings.greedy_passes, order)
        again = check_pool(candidates[second], policy, deal_model)
        if not failed(again) and int(fen[second].sum()) > total:
            chosen, results, total = second, again, int(fen[second].sum())
    gap = (upper - total) / upper if upper else None
    status: Status = "optimal" if gap is not None and gap <= settings.mip_rel_gap else "feasible"
    return Selection(chosen, "greedy", status, total, upper, gap, results, time.perf_counter() - start)


def _upper_bound(
    candidates: pd.DataFrame,
    policy: ConstraintPolicy,
    deal_model: DealModel | None,
    settings: SelectionPolicy,
    start: float,
    found: int,
) -> tuple[int | None, np.ndarray | None]:
    """A proven upper bound on the best pool (fen) and the LP's value per candidate (None if no LP was solved).

    The size bound first (free); if it does not prove the gap, the LP relaxation with ``t ≥ found`` (valid: the
    optimum is at least the pool in hand) — over assets for small instances, grouped (:func:`_grouped`) above
    ``exact_max_candidates``.
    """
    model = _model(candidates, policy, deal_model)
    trivial = round(model.t_ub * model.data.scale)
    if trivial <= 0 or (trivial - found) / trivial <= settings.mip_rel_gap:
        return max(found, trivial), None
    model.t_lb = max(model.t_lb, found / model.data.scale * (1 - 1e-9))
    group = np.arange(model.data.n)
    if len(candidates) > settings.exact_max_candidates:
        grouped, group = _grouped(model)
        model = _Model(grouped, policy, model.active, model.t_lb, model.t_ub)
    remaining = settings.time_limit_seconds - (time.perf_counter() - start)
    lp = model.solve(max(remaining, 1.0), 0.0, relax=True)
    if lp.x is None:  # type: ignore[attr-defined]
        return (found, None) if lp.status == 2 else (max(found, trivial), None)  # type: ignore[attr-defined]
    bound = math.ceil(-float(lp.fun) * model.data.scale)  # type: ignore[attr-defined]
    return max(found, min(trivial, bound)), lp.x[: model.data.n][group]  # type: ignore[attr-defined]


def _grouped(model: _Model, term_width: float = 1.0) -> tuple[_Data, np.ndarray]:
    """A relaxation with one column per (obligor, industry, province, pledged, term band) group.

    Obligors that can meet a cap row or the top-N rows keep their identity; all others are pooled (no obligor
    row can bind on them). Each group's column carries its longest term in the WA-minimum row and its shortest
    in the WA-maximum row, so every pool of assets maps to a feasible point of the grouped LP: its optimum is an
    upper bound on the asset-level optimum.
    """
    d = model.data
    totals = d.obligor_totals()
    keep = np.zeros(len(totals), dtype=bool)
    caps = [s for s, cid in ((model.policy.max_obligor_share, "P02_single_obligor"),) if cid in model.active]
    if caps:
        keep |= totals > (min(caps) - CAP_MARGIN) * model.t_lb
    if "P03_top_obligors" in model.active and model._top_can_bind():
        keep[model._top_candidates()] = True
    kept = np.cumsum(keep) - 1
    pooled = int(keep.sum())
    obligor = np.where(keep[d.obligor], kept[d.obligor], pooled)
    band = np.floor(d.term / term_width).astype(np.int64)
    key = pd.DataFrame(
        {"o": obligor, "i": d.industry, "r": d.province, "d": d.pledged, "b": band}, copy=False
    )
    group = key.groupby(list(key.columns), sort=False).ngroup().to_numpy()
    first = np.unique(group, return_index=True)[1]
    term_max = pd.Series(d.term).groupby(group).max().to_numpy()
    term_min = pd.Series(d.term).groupby(group).min().to_numpy()
    free = np.zeros(pooled + 1, dtype=bool)
    free[pooled] = True
    grouped = _Data(
        np.bincount(group, weights=d.p),
        d.scale,
        d.pledged[first],
        term_max,
        obligor[first],
        d.industry[first],
        d.province[first],
        term_for_max=term_min,
        obligor_free=free,
    )
    return grouped, group


# --- infeasibility ------------------------------------------------------------------------------------------


def _infeasible(
    candidates: pd.DataFrame,
    policy: ConstraintPolicy,
    deal_model: DealModel | None,
    settings: SelectionPolicy,
    start: float,
    method: Method,
) -> Selection:
    """An empty selection naming the constraints whose relaxation alone makes the pool feasible."""
    binding, lines = explain_infeasible(candidates, policy, deal_model, settings)
    nothing = np.zeros(len(candidates), dtype=bool)
    return Selection(
        nothing,
        method,
        "infeasible",
        0,
        None,
        None,
        check_pool(candidates, policy, deal_model),
        time.perf_counter() - start,
        binding=binding,
        explanation=" ".join(lines),
    )


def explain_infeasible(
    candidates: pd.DataFrame,
    policy: ConstraintPolicy,
    deal_model: DealModel | None,
    settings: SelectionPolicy | None = None,
) -> tuple[list[str], list[str]]:
    """Relax each active constraint alone; those whose relaxation gives a feasible pool are the binding ones."""
    settings = settings or SelectionPolicy()
    quick = settings.model_copy(update={"time_limit_seconds": max(settings.time_limit_seconds / 4, 2.0)})
    active = policy.active(deal_model)
    eligible = int(candidates["principal_fen"].sum())
    target = policy.target_fen()
    lines = ["No pool meets every constraint."]
    if target is not None and "P11_target_min" in active and eligible < target * policy.min_fill:
        lines.append(
            f"P11_target_min binds: eligible principal ¥{eligible / 100:,.2f} is below the minimum "
            f"¥{target * policy.min_fill / 100:,.2f} ({policy.min_fill:.0%} of the target)."
        )
        return ["P11_target_min"], lines
    binding = []
    for cid in active:
        relaxed = policy.model_copy(update={"disabled": [*policy.disabled, cid]})
        found = _solve_milp_only(candidates, relaxed, deal_model, quick)
        if found is not None:
            binding.append(cid)
            lines.append(f"{cid} binds: without it a pool of ¥{found / 100:,.2f} is feasible.")
    if not binding:
        lines.append(
            "No single constraint's relaxation makes it feasible: several bind jointly "
            f"({', '.join(active)})."
        )
    return binding, lines


def _solve_milp_only(
    candidates: pd.DataFrame,
    policy: ConstraintPolicy,
    deal_model: DealModel | None,
    settings: SelectionPolicy,
) -> int | None:
    """Principal of a verified pool under ``policy``, or None (no explanation recursion)."""
    if not failed(check_pool(candidates, policy, deal_model)):
        return int(candidates["principal_fen"].sum())
    if len(candidates) > settings.exact_max_candidates:
        chosen: np.ndarray | None = greedy_select(candidates, policy, deal_model, settings.greedy_passes)
        if chosen is not None and failed(check_pool(candidates[chosen], policy, deal_model)):
            chosen = None
    else:
        chosen = _milp_loop(candidates, policy, deal_model, settings, time.perf_counter())[0]
    return None if chosen is None else int(candidates["principal_fen"].to_numpy()[chosen].sum())
