"""The generic stage runner: produce into staging, gate, then commit ledger rows and report files atomically.

Every lifecycle stage is the same four steps, so a stage module only says what it produces, which tables its
gate reads and which ledger rows it commits; this module does the rest, and the flow only loops over stages.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.transactions import transaction
from sqlmodel import SQLModel

import dataabs
from dataabs.errors import GateFailed
from dataabs.gx import GateResult, load_suite, render_suite, run_suite
from dataabs.ledger import store
from dataabs.ledger.db import get_engine, session_scope
from dataabs.package.loader import sha256_file
from dataabs.settings import get_settings
from tasks.alerts import emit_alert
from tasks.context import StageContext


@dataclass
class LedgerRows:
    """What a stage commits: tables whose deal rows it replaces, and rows it appends (history)."""

    replace: dict[type[SQLModel], list[SQLModel]] = field(default_factory=dict)
    append: list[SQLModel] = field(default_factory=list)


@dataclass(frozen=True)
class Stage:
    """A lifecycle stage as the runner sees it."""

    name: str
    produce: Callable[[StageContext, Path], None]
    gate_tables: Callable[[StageContext, Path], dict[str, pd.DataFrame]]
    gate_params: Callable[[StageContext], dict[str, Any]]
    ledger_rows: Callable[[StageContext, Path, str], LedgerRows]
    summary: Callable[[StageContext, Path], str]
    explain: Callable[[StageContext, Path], list[str]] = lambda ctx, staging: []


def artifact_key(deal_id: str, name: str) -> str:
    """A Prefect artifact key: lowercase letters, digits and dashes only."""
    raw = f"deal-{deal_id}-{name}".lower()
    return "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in raw)


@task(name="start-stage", cache_policy=NO_CACHE)
def start_stage(ctx: StageContext, stage: str) -> str:
    """Record a stage run as running in the ledger and return its run id."""
    with session_scope(get_engine()) as session:
        return store.start_stage_run(
            session,
            ctx.deal_id,
            stage,
            flow_run_id=ctx.flow_run_id,
            parameters={"as_of": ctx.as_of.isoformat(), "out_dir": str(ctx.out_dir)},
        )


def _remove_staging(txn: Any) -> None:
    """Rollback hook: a failed stage leaves no half-written staging folder behind."""
    staging = txn.get("staging")
    if staging:
        shutil.rmtree(staging, ignore_errors=True)


@task(name="gate", cache_policy=NO_CACHE)
def gate_stage(ctx: StageContext, stage: Stage, staging: Path, run_id: str) -> GateResult:
    """Run the stage's GX suite over its staged outputs; write, record and publish the result; block on failure."""
    suite = render_suite(
        load_suite(get_settings().expectations_dir / f"{stage.name}.json"), stage.gate_params(ctx)
    )
    result = run_suite(suite, stage.gate_tables(ctx, staging))
    gate_file = ctx.deal_out / "gates" / f"{stage.name}.json"
    write_json_atomic(gate_file, result.to_json())
    with session_scope(get_engine()) as session:
        store.record_gate(session, ctx.deal_id, stage.name, run_id, result.to_json())
    publish_gate(ctx, stage.name, result)
    if not result.success:
        lines = result.failure_lines() + stage.explain(ctx, staging)
        emit_alert(
            "gate.failed",
            ctx.deal_id,
            {
                "headline": f"Gate {stage.name} ({suite.name}) failed for deal {ctx.deal_id}: nothing was committed",
                "lines": lines[:20],
                "stage": stage.name,
                "suite": suite.name,
                "flow_run_id": ctx.flow_run_id,
            },
        )
        raise GateFailed(ctx.deal_id, stage.name, suite.name, lines)
    return result


def publish_gate(ctx: StageContext, stage: str, result: GateResult) -> None:
    """A table artifact listing each expectation of the gate (failed ones first) with masked samples."""
    rows = sorted(result.to_json()["results"], key=lambda r: (r["success"], r["severity"] != "critical"))
    table = [
        {
            "expectation": r["type"],
            "table": r["table"],
            "column": r.get("column") or "",
            "severity": r["severity"],
            "success": r["success"],
            "unexpected": f"{r.get('unexpected_count') or 0} of {r.get('element_count') or 0}",
            "sample": ", ".join(str(v) for v in (r.get("sample") or [])[:5]),
            "error": r.get("exception") or "",
        }
        for r in rows
    ]
    verdict = "passed" if result.success else "FAILED"
    create_table_artifact(
        table,
        key=artifact_key(ctx.deal_id, f"{stage}-gate"),
        description=f"Gate {stage} for deal {ctx.deal_id}: {verdict}",
    )


@task(name="commit-stage", cache_policy=NO_CACHE)
def commit_stage(ctx: StageContext, stage: Stage, staging: Path, run_id: str) -> dict[str, str]:
    """Swap the staged report folder in and commit ledger rows, stage state and audit event in one transaction."""
    rows = stage.ledger_rows(ctx, staging, run_id)
    output_hashes = {
        str(p.relative_to(staging)): sha256_file(p) for p in sorted(staging.rglob("*")) if p.is_file()
    }
    audit = store.AuditInput(
        code_version=dataabs.__version__,
        flow_run_id=ctx.flow_run_id,
        parameters={"as_of": ctx.as_of.isoformat(), "stage": stage.name},
        input_hashes=ctx.package.file_hashes(),
        output_hashes=output_hashes,
    )
    final, backup = ctx.stage_dir(stage.name), ctx.deal_out / ".staging" / f"{stage.name}-{run_id}.previous"
    with session_scope(get_engine()) as session:
        store.commit_stage(
            session, ctx.deal_id, stage.name, run_id, replace=rows.replace, append=rows.append, audit=audit
        )
        swap_in(staging, final, backup)
        try:
            session.flush()
        except Exception:
            swap_back(final, backup)
            raise
    shutil.rmtree(backup, ignore_errors=True)
    return output_hashes


def swap_in(staging: Path, final: Path, backup: Path) -> None:
    """Replace the committed stage folder by the staged one with two renames."""
    if final.exists():
        os.replace(final, backup)
    os.replace(staging, final)


def swap_back(final: Path, backup: Path) -> None:
    """Undo ``swap_in`` when the ledger commit fails."""
    shutil.rmtree(final, ignore_errors=True)
    if backup.exists():
        os.replace(backup, final)


@task(name="fail-stage", cache_policy=NO_CACHE)
def fail_stage(ctx: StageContext, stage: str, run_id: str, error: str) -> None:
    """Mark the stage run failed; the previous committed outputs stay as they were."""
    with session_scope(get_engine()) as session:
        store.fail_stage_run(session, ctx.deal_id, stage, run_id, error)


@task(name="publish-summary", cache_policy=NO_CACHE)
def publish_summary(ctx: StageContext, stage: Stage) -> None:
    """A markdown artifact per stage with its headline numbers and links to the report files."""
    create_markdown_artifact(
        stage.summary(ctx, ctx.stage_dir(stage.name)),
        key=artifact_key(ctx.deal_id, stage.name),
        description=f"{stage.name} of deal {ctx.deal_id}",
    )


def run_stage(ctx: StageContext, stage: Stage) -> None:
    """Produce, gate and commit one stage; on any failure commit nothing and record the failure."""
    logger = get_run_logger()
    run_id = start_stage(ctx, stage.name)
    staging = ctx.staging_dir(stage.name, run_id)
    staging.mkdir(parents=True, exist_ok=True)
    try:
        with transaction() as txn:
            txn.set("staging", str(staging))
            txn.stage(None, on_rollback_hooks=[_remove_staging])
            stage.produce(ctx, staging)
            gate_stage(ctx, stage, staging, run_id)
            commit_stage(ctx, stage, staging, run_id)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        fail_stage(ctx, stage.name, run_id, _one_line(exc))
        raise
    publish_summary(ctx, stage)
    logger.info("Deal %s: stage %s committed to %s", ctx.deal_id, stage.name, ctx.stage_dir(stage.name))


def _one_line(exc: BaseException) -> str:
    """The first line of an exception, for the stage run's error column."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:2000]


def write_json_atomic(path: Path, payload: dict[str, Any]) -> None:
    """Write JSON via a temporary file and a rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


def check_table(checks: list[tuple[str, Any, Any]]) -> pd.DataFrame:
    """A gate's reconciliation table: one row per (check, expected, actual), passed when they are equal."""
    rows = [
        {
            "check": name,
            "expected": str(expected),
            "actual": str(actual),
            "passed": expected == actual,
            "failure": None if expected == actual else f"{name}: expected {expected}, found {actual}",
        }
        for name, expected, actual in checks
    ]
    return pd.DataFrame(rows, columns=["check", "expected", "actual", "passed", "failure"])


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a report CSV (UTF-8 with BOM so Excel opens Chinese text correctly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path
