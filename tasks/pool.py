"""Pool cut stage (资产池封包): eligibility over the tape, selection to the target, freeze at the cut-off, strats.

The stage reads the committed outputs of the earlier stages from the report folder (governance Q, rights checks,
valuation and LTV), evaluates the declared eligibility rules (合格标准), chooses the pool — every eligible asset,
or the MILP optimum when the eligible principal exceeds the deal's target — and freezes it: the canonical
``pool/snapshot.csv`` and its SHA-256 (in ``pool/summary.json``, the audit event and the ledger). Later stages
read the snapshot through :func:`frozen_pool`, which verifies the hash, never the live tape.
"""

from __future__ import annotations

import hashlib
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from dataabs.errors import DataabsError
from dataabs.ledger.models import PoolAsset, PoolSnapshot
from dataabs.money import from_fen, to_money
from dataabs.package.tapes import TAPES, typed_tape
from dataabs.pool.constraints import CONSTRAINT_TEXT, ConstraintResult, check_pool, failed
from dataabs.pool.rules import CutContext, candidate_frame, describe_rules, evaluate
from dataabs.pool.select import PoolPolicy, Selection, select_pool
from dataabs.pool.snapshot import SUMMARY_KEYS, freeze, pool_summary
from dataabs.pool.strats import stratify, write_csvs, write_workbook
from tasks.context import StageContext
from tasks.stage import LedgerRows, Stage, check_table, write_csv, write_json_atomic

SNAPSHOT = "snapshot.csv"
SUMMARY = "summary.json"
SUMMARY_FIELDS = (*SUMMARY_KEYS, "snapshot_sha256")
BINDING_TOLERANCE = 1e-6


class PoolSnapshotInvalid(DataabsError):
    """The frozen pool on disk does not match its recorded hash (or is missing): rerun the pool stage."""


# --- inputs ---------------------------------------------------------------------------------------------------


def _read(path: Path, **kwargs: Any) -> pd.DataFrame:
    """A committed report CSV of an earlier stage; a missing file names the stage to run."""
    if not path.is_file():
        raise DataabsError(
            f"{path} is missing: the pool cut reads the committed outputs of {path.parent.name}; rerun that stage"
        )
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, **kwargs)


def read_ltv(folder: Path) -> pd.DataFrame | None:
    """``asset_id, ltv`` from ``valuation/ltv.csv`` (``loan_id`` accepted for ``asset_id``); None when absent."""
    path = folder / "ltv.csv"
    if not path.is_file():
        return None
    frame = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype=str)
    if "asset_id" not in frame.columns and "loan_id" in frame.columns:
        frame = frame.rename(columns={"loan_id": "asset_id"})
    if not {"asset_id", "ltv"} <= set(frame.columns):
        raise DataabsError(f"{path}: expected columns asset_id and ltv, found {', '.join(frame.columns)}")
    frame["ltv"] = pd.to_numeric(frame["ltv"].replace("", None), errors="coerce")
    return frame[["asset_id", "ltv"]].drop_duplicates("asset_id", keep="last")


def candidates(ctx: StageContext) -> pd.DataFrame:
    """The asset tape joined with obligors, data assets and the earlier stages' committed results."""
    package = ctx.package
    valuation = _read(
        ctx.stage_dir("valuation") / "valuations.csv", dtype={"data_asset_id": str, "method": str}
    )
    valuation["value"] = pd.to_numeric(valuation["value"].replace("", None), errors="coerce")
    return candidate_frame(
        package.assets,
        package.obligors,
        package.data_assets,
        package.deal.dates.cut_off,
        quality=_read(ctx.stage_dir("governance") / "quality.csv", dtype={"data_asset_id": str}),
        rights=_read(ctx.stage_dir("rights") / "verification.csv", dtype=str),
        valuation=valuation,
        ltv=read_ltv(ctx.stage_dir("valuation")),
    )


def pool_policy(ctx: StageContext) -> PoolPolicy:
    """The pool section of house policy with the deal's overrides."""
    return ctx.policy.pool


# --- selection ------------------------------------------------------------------------------------------------


def choose(frame: pd.DataFrame, policy: PoolPolicy, ctx: StageContext) -> Selection | None:
    """Run the selection when the eligible principal exceeds the target; None means the pool is every eligible asset.

    Without a target (or within it) nothing is left out: a concentration breach of the eligible pool is for the
    operator to resolve (set a target, change the tape), so the gate reports it rather than the optimiser hiding it.
    """
    target = policy.constraints.target_fen()
    if target is None or int(frame["principal_fen"].sum()) <= target:
        return None
    return select_pool(frame, policy.constraints, ctx.package.deal.model, policy.selection)


def constraint_rows(results: list[ConstraintResult]) -> pd.DataFrame:
    """``pool/constraints.csv``: id, Chinese and English text, measured value, limit, passed, detail."""
    rows = [
        {
            "id": r.id,
            "name_zh": CONSTRAINT_TEXT[r.id][0],
            "name_en": CONSTRAINT_TEXT[r.id][1],
            "value": round(r.value, 6),
            "limit": round(r.limit, 6),
            "passed": bool(r.passed),
            "detail": r.detail,
        }
        for r in results
    ]
    return pd.DataFrame(rows, columns=["id", "name_zh", "name_en", "value", "limit", "passed", "detail"])


def at_limit(results: list[ConstraintResult]) -> list[str]:
    """Constraints whose measure sits at its limit (the binding ones of an optimised pool)."""
    return [
        r.id
        for r in results
        if r.passed and abs(r.value - r.limit) <= BINDING_TOLERANCE * max(1.0, abs(r.limit))
    ]


def selection_record(
    frame: pd.DataFrame,
    pool: pd.DataFrame,
    selection: Selection | None,
    results: list[ConstraintResult],
    target: Any,
) -> dict[str, Any]:
    """``pool/selection.json``: how the pool was chosen, its status and gap, the binding constraints, in words."""
    eligible_fen, pool_fen = int(frame["principal_fen"].sum()), int(pool["principal_fen"].sum())
    breaches = [r.id for r in failed(results)]
    base = {
        "candidates": {"count": len(frame), "principal": str(from_fen(eligible_fen))},
        "selected": {"count": len(pool), "principal": str(from_fen(pool_fen))},
        "target_principal": None if target is None else str(target),
    }
    if selection is None:
        reason = "no target is set" if target is None else "the eligible principal is within the target"
        words = f"All {len(frame)} eligible assets (¥{eligible_fen / 100:,.2f}) form the pool: {reason}."
        if breaches:
            words += f" The pool breaches {', '.join(breaches)}; the gate blocks it."
        return base | {
            "method": "all",
            "status": "all_eligible",
            "gap": 0.0,
            "upper_bound": str(from_fen(eligible_fen)),
            "binding": breaches,
            "seconds": 0.0,
            "hhi_cuts": 0,
            "explanation": words,
        }
    binding = selection.binding if selection.status == "infeasible" else at_limit(results)
    words = selection.explanation or (
        f"Eligible principal ¥{eligible_fen / 100:,.2f} exceeds the target ¥{float(target):,.2f}: "
        f"{selection.method} chose {len(pool)} of {len(frame)} assets (¥{pool_fen / 100:,.2f}), status "
        f"{selection.status}, gap {selection.gap if selection.gap is not None else 'n/a'}; "
        f"binding: {', '.join(binding) or 'none'}."
    )
    return base | {
        "method": selection.method,
        "status": selection.status,
        "gap": selection.gap,
        "upper_bound": None
        if selection.upper_bound_fen is None
        else str(from_fen(selection.upper_bound_fen)),
        "binding": binding,
        "seconds": round(selection.seconds, 3),
        "hhi_cuts": selection.hhi_cuts,
        "explanation": words,
    }


# --- tasks ----------------------------------------------------------------------------------------------------


@task(name="check-eligibility", cache_policy=NO_CACHE)
def check_eligibility(ctx: StageContext, staging: Path) -> int:
    """Evaluate the eligibility rules over the tape; write ``eligibility.csv`` and the rule list ``rules.csv``."""
    policy = pool_policy(ctx)
    frame = candidates(ctx)
    eligibility = evaluate(frame, policy.eligibility, CutContext.from_deal(ctx.package.deal))
    write_csv(eligibility, staging / "eligibility.csv")
    rules = describe_rules(policy.eligibility)
    rules["params"] = rules["params"].map(lambda p: json.dumps(p, ensure_ascii=False, sort_keys=True))
    write_csv(rules, staging / "rules.csv")
    return int(eligibility["eligible"].sum())


@task(name="select-and-freeze-pool", cache_policy=NO_CACHE)
def select_and_freeze(ctx: StageContext, staging: Path) -> str:
    """Choose the pool among the eligible assets, check the pool constraints and freeze it (封包); return its hash."""
    policy, package = pool_policy(ctx), ctx.package
    frame = candidates(ctx)
    eligible = set(read_eligibility(staging).query("eligible")["asset_id"])
    frame = frame[frame["asset_id"].isin(eligible)].reset_index(drop=True)
    selection = choose(frame, policy, ctx)
    pool = frame if selection is None else selection.pool(frame).reset_index(drop=True)
    results = check_pool(pool, policy.constraints, package.deal.model)
    write_json_atomic(
        staging / "selection.json",
        selection_record(frame, pool, selection, results, policy.constraints.target_principal),
    )
    write_csv(constraint_rows(results), staging / "constraints.csv")
    snapshot = freeze(pool, package.deal.dates.cut_off)
    (staging / SNAPSHOT).write_bytes(snapshot.csv_bytes)
    summary = pool_summary(pool, package.data_assets, package.obligors)
    write_json_atomic(staging / SUMMARY, {**summary, "snapshot_sha256": snapshot.sha256})
    write_csv(reconciliation(ctx, staging), staging / "reconciliation.csv")
    return snapshot.sha256


@task(name="write-strats", cache_policy=NO_CACHE)
def write_strats(ctx: StageContext, staging: Path) -> int:
    """Stratification tables of the frozen pool: ``strats/<table>.csv`` and the workbook ``strats.xlsx``."""
    frame = candidates(ctx)
    ids = set(snapshot_frame(staging)["asset_id"])
    pool = frame[frame["asset_id"].isin(ids)].reset_index(drop=True)
    if pool.empty:
        return 0
    names = {p.id: p.name for p in ctx.package.deal.parties}
    tables = stratify(pool, guarantor_names=names)
    write_csvs(tables, staging / "strats")
    write_workbook(tables, staging / "strats.xlsx")
    return len(tables)


def produce(ctx: StageContext, staging: Path) -> None:
    """Eligibility, then selection and freeze, then the strats."""
    check_eligibility(ctx, staging)
    select_and_freeze(ctx, staging)
    write_strats(ctx, staging)


# --- reading the pool folder ----------------------------------------------------------------------------------


def read_eligibility(folder: Path) -> pd.DataFrame:
    """``eligibility.csv`` as written (``eligible`` as booleans)."""
    frame = pd.read_csv(folder / "eligibility.csv", encoding="utf-8-sig", keep_default_na=False, dtype=str)
    frame["eligible"] = frame["eligible"].map({"True": True, "False": False})
    return frame


def read_summary(folder: Path) -> dict[str, Any]:
    """``summary.json`` as written."""
    return dict(json.loads((folder / SUMMARY).read_text(encoding="utf-8")))


def snapshot_frame(folder: Path) -> pd.DataFrame:
    """The snapshot CSV of a pool folder, typed by the asset-tape contract (no hash check: see ``frozen_pool``)."""
    return parse_snapshot((folder / SNAPSHOT).read_bytes(), str(folder / SNAPSHOT))


def parse_snapshot(data: bytes, file: str) -> pd.DataFrame:
    """Canonical snapshot bytes as a typed asset frame."""
    text = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8")
    typed, problems = typed_tape(TAPES["assets"], text, file)
    if problems:
        raise PoolSnapshotInvalid(f"{file} does not parse as an asset tape: {problems[0]}")
    return typed.reset_index(drop=True)


def frozen_pool(ctx: StageContext) -> pd.DataFrame:
    """The frozen pool (封包资产池) of the deal: ``pool/snapshot.csv``, its SHA-256 checked against ``summary.json``."""
    folder = ctx.stage_dir("pool")
    path = folder / SNAPSHOT
    if not path.is_file() or not (folder / SUMMARY).is_file():
        raise PoolSnapshotInvalid(
            f"deal {ctx.deal_id}: no frozen pool under {folder}; run the pool stage first"
        )
    data = path.read_bytes()
    recorded = read_summary(folder).get("snapshot_sha256")
    actual = hashlib.sha256(data).hexdigest()
    if actual != recorded:
        raise PoolSnapshotInvalid(
            f"deal {ctx.deal_id}: {path} hashes to {actual}, but pool/summary.json records {recorded}; "
            "the frozen pool was changed after the cut — rerun the pool stage"
        )
    return parse_snapshot(data, str(path))


def reconciliation(ctx: StageContext, folder: Path) -> pd.DataFrame:
    """Totals of the frozen pool reconciled to the tape: ``check, expected, actual, passed, failure``."""
    tape = ctx.package.assets.set_index("asset_id")
    snapshot_bytes = (folder / SNAPSHOT).read_bytes()
    snapshot = parse_snapshot(snapshot_bytes, str(folder / SNAPSHOT))
    summary = read_summary(folder)
    eligibility = read_eligibility(folder)
    ids = list(snapshot["asset_id"])
    in_tape = [i for i in ids if i in tape.index]
    tape_selected = sum((to_money(v) for v in tape.loc[in_tape, "principal"]), Decimal(0))
    snapshot_total = sum((to_money(v) for v in snapshot["principal"]), Decimal(0))
    differing = sum(
        1
        for i, p in zip(ids, snapshot["principal"], strict=True)
        if i not in tape.index or to_money(p) != to_money(tape.at[i, "principal"])
    )
    eligible_ids = set(eligibility.loc[eligibility["eligible"], "asset_id"])
    checks: list[tuple[str, Any, Any]] = [
        ("snapshot principal = Σ selected tape principal", tape_selected, snapshot_total),
        ("snapshot assets found in the tape with the same principal", 0, differing),
        (
            "summary principal_total = snapshot principal",
            snapshot_total,
            to_money(summary["principal_total"]),
        ),
        ("summary asset_count = snapshot rows", len(snapshot), int(summary["asset_count"])),
        (
            "eligibility covers every tape asset",
            len(tape),
            len(set(eligibility["asset_id"]) & set(tape.index)),
        ),
        ("every snapshot asset is eligible", len(ids), len(set(ids) & eligible_ids)),
        (
            "summary snapshot_sha256 = SHA-256 of snapshot.csv",
            summary.get("snapshot_sha256"),
            hashlib.sha256(snapshot_bytes).hexdigest(),
        ),
    ]
    return check_table(checks)


# --- gate, ledger, summary ------------------------------------------------------------------------------------


def read_constraints(folder: Path) -> pd.DataFrame:
    """``constraints.csv`` with ``passed`` as booleans and a ``failure`` text for every breach."""
    frame = pd.read_csv(folder / "constraints.csv", encoding="utf-8-sig", keep_default_na=False)
    frame["passed"] = frame["passed"].astype(str).map({"True": True, "False": False})
    frame["failure"] = [
        None if ok else f"{cid}: {detail}"
        for cid, ok, detail in zip(frame["id"], frame["passed"], frame["detail"], strict=True)
    ]
    return frame


def gate_tables(ctx: StageContext, staging: Path) -> dict[str, pd.DataFrame]:
    """Eligibility, the frozen pool's assets, the constraints, the reconciliation to the tape and the summary."""
    eligibility = read_eligibility(staging)
    ids = snapshot_frame(staging)["asset_id"]
    pool_assets = eligibility[eligibility["asset_id"].isin(set(ids))].copy()
    pool_assets["failed_rules"] = pool_assets["failed_rules"].replace("", None)
    summary = read_summary(staging)
    return {
        "eligibility": eligibility,
        "pool_assets": pool_assets.reset_index(drop=True),
        "constraints": read_constraints(staging),
        "reconciliation": reconciliation(ctx, staging),
        "summary": pd.DataFrame([{k: _cell(v) for k, v in summary.items()}]),
    }


def _cell(value: Any) -> Any:
    """A summary value as a DataFrame cell (lists and dicts as JSON text)."""
    return json.dumps(value) if isinstance(value, list | dict) else value


def gate_params(ctx: StageContext) -> dict[str, Any]:
    """The pool suite's placeholders: the summary keys it requires."""
    return {"summary_keys": list(SUMMARY_FIELDS)}


def ledger_rows(ctx: StageContext, staging: Path, run_id: str) -> LedgerRows:
    """Append the snapshot (history) and replace the deal's frozen-pool assets."""
    data = (staging / SNAPSHOT).read_bytes()
    snapshot = parse_snapshot(data, str(staging / SNAPSHOT))
    summary = read_summary(staging)
    sha = str(summary["snapshot_sha256"])
    record = PoolSnapshot(
        deal_id=ctx.deal_id,
        stage_run_id=run_id,
        cut_off=ctx.package.deal.dates.cut_off,
        sha256=sha,
        asset_count=len(snapshot),
        principal_total=to_money(summary["principal_total"]),
        asset_ids=[str(a) for a in snapshot["asset_id"]],
        csv_text=data.decode("utf-8"),
    )
    assets = [
        PoolAsset(
            deal_id=ctx.deal_id,
            asset_id=str(r.asset_id),
            obligor_id=str(r.obligor_id),
            data_asset_id=r.data_asset_id or None,
            principal=to_money(r.principal),
            snapshot_sha256=sha,
            stage_run_id=run_id,
        )
        for r in snapshot.itertuples(index=False)
    ]
    return LedgerRows(replace={PoolAsset: list(assets)}, append=[record])


def summary(ctx: StageContext, folder: Path) -> str:
    """Markdown: pool size and shares, how it was selected, the constraints and the snapshot hash."""
    data = read_summary(folder)
    selection = json.loads((folder / "selection.json").read_text(encoding="utf-8"))
    constraints = read_constraints(folder)
    eligibility = read_eligibility(folder)
    lines = [
        f"# Pool cut (资产池封包) — deal {ctx.deal_id}",
        "",
        f"Cut-off {ctx.package.deal.dates.cut_off.isoformat()}: {data['asset_count']} assets, "
        f"¥{float(data['principal_total']):,.2f}; data-pledged {data['data_pledged_share']:.2%}, "
        f"largest obligor {data['max_obligor_share']:.2%}, HHI {data['hhi']:.4f} "
        f"(effective obligors {data['effective_obligors']:.2f}), WA rate {data['wa_rate']:.4%}, "
        f"WA remaining term {data['wa_remaining_term_months']:.2f} months.",
        "",
        f"Eligible: {int(eligibility['eligible'].sum())} of {len(eligibility)}. Selection: {selection['method']} "
        f"({selection['status']}). {selection['explanation']}",
        "",
        "| constraint | value | limit | passed |",
        "|---|---|---|---|",
    ]
    lines += [f"| {r.id} | {r.value:.4g} | {r.limit:.4g} | {r.passed} |" for r in constraints.itertuples()]
    lines += [
        "",
        f"Snapshot SHA-256 `{data['snapshot_sha256']}`",
        "",
        f"Reports: `{folder / SNAPSHOT}`, `{folder / 'eligibility.csv'}`, `{folder / 'strats.xlsx'}`",
    ]
    return "\n".join(lines)


def explain(ctx: StageContext, staging: Path) -> list[str]:
    """What blocks the pool, in words: breached constraints, ineligible pool assets, reconciliation, selection."""
    tables = gate_tables(ctx, staging)
    lines = [f"pool constraint {f}" for f in tables["constraints"]["failure"].dropna()]
    pool_assets = tables["pool_assets"]
    lines += [
        f"pool asset {r.asset_id} fails eligibility rule(s) {r.failed_rules}"
        for r in pool_assets[pool_assets["failed_rules"].notna()].itertuples()
    ]
    lines += [f"reconciliation: {f}" for f in tables["reconciliation"]["failure"].dropna()]
    selection = json.loads((staging / "selection.json").read_text(encoding="utf-8"))
    if selection["status"] == "infeasible" or not len(pool_assets):
        lines.append(f"selection: {selection['explanation']}")
    return lines


STAGE = Stage(
    name="pool",
    produce=produce,
    gate_tables=gate_tables,
    gate_params=gate_params,
    ledger_rows=ledger_rows,
    summary=summary,
    explain=explain,
)
