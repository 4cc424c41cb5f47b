"""Lifecycle and servicing benchmarks: the demo deal scaled to any pool size, run with and without Prefect.

``write_scaled_package(target, assets)`` copies the demo package and splits its nine loans into ``assets`` loans,
keeping the pool total, the data assets, the guarantors and every loan's share of the pool: pledged loans stay
with the data asset's holder (rule E17, pledgor is the obligor), the unpledged loan's pieces are spread across
many new obligors (ten loans each). ``run_lifecycle`` runs the real flow (or, with ``bare=True``, the same stage
functions with the Prefect machinery stubbed out) and reports per-stage wall time; ``run_servicing`` serves the
first payment period from a bank statement file. Both are meant to run in a fresh subprocess per size, so the
peak RSS the suite reads (``resource.getrusage``) belongs to one size only.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = REPO_ROOT / "config" / "deals" / "demo"
LOANS_PER_NEW_OBLIGOR = 10


def _read(path: Path) -> pd.DataFrame:
    """A tape as text, the way the package loader sees it."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _split(total: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """Split integer amounts ``total[i]`` into ``parts[i]`` integer pieces that sum back exactly (flattened)."""
    owner = np.repeat(np.arange(len(total)), parts)
    base = total[owner] // parts[owner]
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(parts) - parts, parts)
    return base + (rank < (total - (total // parts) * parts)[owner]).astype(np.int64)


def write_scaled_package(target: Path, assets: int, source: Path = DEMO_DIR) -> Path:
    """Write the demo package scaled to ``assets`` loans under ``target`` (deal id ``bench-<assets>``)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    demo_assets, obligors, schedules = (
        _read(source / f"{n}.csv") for n in ("assets", "obligors", "schedules")
    )
    # Whole-yuan pieces: the demo's amounts are whole yuan, and so stay every piece and every due.
    fen = np.array([round(float(p) * 100) for p in demo_assets["principal"]], dtype=np.int64)
    parts = np.maximum(1, np.floor(assets * fen / fen.sum()).astype(np.int64))
    parts[np.argmax(parts)] += assets - parts.sum()
    piece_fen = _split(fen // 100, parts) * 100
    parent = np.repeat(np.arange(len(fen)), parts)
    frame = demo_assets.iloc[parent].reset_index(drop=True)
    frame["asset_id"] = np.char.add("L", np.char.zfill(np.arange(assets).astype(str), 7))
    frame["principal"] = [f"{v // 100}.{v % 100:02d}" for v in piece_fen.tolist()]
    unpledged = (frame["data_asset_id"] == "").to_numpy()
    count_new = max(1, int(unpledged.sum()) // LOANS_PER_NEW_OBLIGOR)
    new_ids = np.char.add("OX", np.char.zfill(np.arange(count_new).astype(str), 7))
    frame.loc[unpledged, "obligor_id"] = new_ids[np.arange(int(unpledged.sum())) % count_new]
    template = obligors[
        obligors["obligor_id"].isin(demo_assets.loc[demo_assets["data_asset_id"] == "", "obligor_id"])
    ]
    from dataabs.rights.uscc import make_uscc

    extra = template.iloc[np.zeros(count_new, dtype=int)].reset_index(drop=True)
    extra["obligor_id"] = new_ids
    extra["name"] = [f"扩池债务人{i:07d}有限公司" for i in range(count_new)]
    extra["uscc"] = [make_uscc(f"9144{i:013d}") for i in range(count_new)]
    used = set(frame["obligor_id"])
    all_obligors = pd.concat([obligors[obligors["obligor_id"].isin(used)], extra], ignore_index=True)
    # Schedules: each piece repays its parent's dues in proportion, the last due taking the rounding.
    schedules = schedules.sort_values(["asset_id", "due_date"], kind="stable")
    per_loan = schedules.groupby("asset_id", sort=False).size()
    n_dues = int(per_loan.iloc[0])
    if not (per_loan == n_dues).all():
        raise ValueError("the scaled generator expects every demo loan to have the same number of dues")
    order = {a: i for i, a in enumerate(demo_assets["asset_id"])}
    due_fen = np.zeros((len(fen), n_dues), dtype=np.int64)
    dates = np.empty((len(fen), n_dues), dtype=object)
    for asset_id, group in schedules.groupby("asset_id", sort=False):
        due_fen[order[asset_id]] = [round(float(v) * 100) for v in group["principal_due"]]
        dates[order[asset_id]] = group["due_date"].to_numpy()
    share = (due_fen[parent] // 100) * (piece_fen[:, None] // 100) // (fen[parent][:, None] // 100) * 100
    share[:, -1] = piece_fen - share[:, :-1].sum(axis=1)
    flat = share.ravel()
    sched = pd.DataFrame(
        {
            "asset_id": np.repeat(frame["asset_id"].to_numpy(), n_dues),
            "due_date": dates[parent].ravel(),
            "principal_due": [f"{v // 100}.{v % 100:02d}" for v in flat.tolist()],
        }
    )
    frame.to_csv(target / "assets.csv", index=False, encoding="utf-8")
    all_obligors.to_csv(target / "obligors.csv", index=False, encoding="utf-8")
    sched.to_csv(target / "schedules.csv", index=False, encoding="utf-8")
    deal = yaml.safe_load((target / "deal.yaml").read_text(encoding="utf-8"))
    deal["deal_id"] = f"bench-{assets}"
    deal["collection_account"] = f"PLAN-bench-{assets}"
    (target / "deal.yaml").write_text(
        yaml.safe_dump(deal, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    registry = target / "registry" / "registry.json"
    if registry.exists() and '"deal_id"' in registry.read_text(encoding="utf-8"):
        import json

        seed = json.loads(registry.read_text(encoding="utf-8"))
        if isinstance(seed, dict) and "deal_id" in seed:
            seed["deal_id"] = deal["deal_id"]
            registry.write_text(json.dumps(seed, ensure_ascii=False, indent=2), encoding="utf-8")
    return target


def _use_home(home: Path) -> None:
    """Point dataabs at a private ledger and data dir (before its settings are first read)."""
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DATAABS_HOME"] = str(home)
    os.environ["DATAABS_DATABASE_URL"] = f"sqlite:///{home / 'ledger.db'}"
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    from dataabs.settings import get_settings

    get_settings.cache_clear()


class _Txn:
    """Stands in for a Prefect transaction when the stages run without Prefect."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def set(self, key: str, value: Any) -> None:
        self.values[key] = value

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def stage(self, *args: Any, **kwargs: Any) -> None:
        return None


class _Done:
    """Stands in for a Prefect future: the task already ran in the caller's thread."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self, *args: Any, **kwargs: Any) -> Any:
        return self.value

    def wait(self, *args: Any, **kwargs: Any) -> None:
        return None


@contextlib.contextmanager
def without_prefect() -> Iterator[None]:
    """Run ``tasks``/``flows`` code as plain functions: tasks call their ``fn``, logging, artifacts, transactions,
    tags and the per-deal concurrency slot become local no-ops. Benchmark-only: nothing is edited on disk."""
    from prefect.tasks import Task

    logger = logging.getLogger("dataabs.bench")

    def call(self: Task, *args: Any, **kwargs: Any) -> Any:
        for key in ("return_state", "wait_for"):
            kwargs.pop(key, None)
        return self.fn(*args, **kwargs)

    @contextlib.contextmanager
    def nothing(*args: Any, **kwargs: Any) -> Iterator[_Txn]:
        yield _Txn()

    stubs: dict[str, Any] = {
        "get_run_logger": lambda *a, **k: logger,
        "create_table_artifact": lambda *a, **k: None,
        "create_markdown_artifact": lambda *a, **k: None,
        "create_link_artifact": lambda *a, **k: None,
        "emit_event": lambda *a, **k: None,
        "transaction": nothing,
        "tags": nothing,
        "deal_slot": nothing,
        "label_flow_run": lambda *a, **k: None,
    }

    def submit(self: Task, *args: Any, **kwargs: Any) -> _Done:
        return _Done(call(self, *args, **kwargs))

    saved: list[tuple[Any, str, Any]] = [(Task, "__call__", Task.__call__), (Task, "submit", Task.submit)]
    Task.__call__ = call  # type: ignore[method-assign]
    Task.submit = submit  # type: ignore[method-assign]
    for name, module in list(sys.modules.items()):
        if module is None or not (name.startswith("tasks.") or name.startswith("flows.")):
            continue
        for attr, stub in stubs.items():
            if hasattr(module, attr):
                saved.append((module, attr, getattr(module, attr)))
                setattr(module, attr, stub)
    try:
        yield
    finally:
        for owner, attr, value in reversed(saved):
            setattr(owner, attr, value)


def _timed_stages(module: Any, timings: dict[str, float]) -> Callable[[], None]:
    """Wrap the flow module's stage calls so each reports its wall time; returns the undo."""
    originals = {name: getattr(module, name) for name in ("prepare", "onboard", "run_stage")}

    def wrap(name: str, func: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                key = args[1].name if name == "run_stage" else name
                timings[key] = timings.get(key, 0.0) + time.perf_counter() - began

        return timed

    for name, func in originals.items():
        setattr(module, name, wrap(name, func))
    return lambda: [setattr(module, n, f) for n, f in originals.items()]  # type: ignore[func-returns-value]


def count_task_runs(flow_run_id: str, settle_seconds: float = 4.0, max_wait: float = 120.0) -> int:
    """Task runs the Prefect API recorded for a flow run, polled until the count stops growing (event ingestion
    lags the client)."""
    from prefect.client.orchestration import get_client

    body = {"flow_runs": {"id": {"any_": [flow_run_id]}}}
    last, stable_since, began = -1, time.perf_counter(), time.perf_counter()
    with get_client(sync_client=True) as client:
        while time.perf_counter() - began < max_wait:
            response = client._client.post("/task_runs/count", json=body)
            response.raise_for_status()
            now = int(response.json())
            if now != last:
                last, stable_since = now, time.perf_counter()
            elif time.perf_counter() - stable_since >= settle_seconds:
                break
            time.sleep(1.0)
    return last


def run_lifecycle(assets: int, workdir: str, bare: bool = False, demo: bool = False) -> dict[str, Any]:
    """Generate the package (or copy the demo), run the whole lifecycle once; per-stage seconds and task runs."""
    work = Path(workdir)
    _use_home(work / "home")
    began = time.perf_counter()
    if demo:
        package = work / "deal"
        shutil.rmtree(package, ignore_errors=True)
        shutil.copytree(DEMO_DIR, package)
    else:
        package = write_scaled_package(work / "deal", assets)
    generate_seconds = time.perf_counter() - began
    import flows.lifecycle as lc
    from dataabs.sandbox.seed import read_registry_seed
    from dataabs.sandbox.server import SandboxSeeds, running_sandbox

    timings: dict[str, float] = {}
    undo = _timed_stages(lc, timings)
    out: dict[str, Any] = {"assets": assets, "bare": bare, "generate_seconds": generate_seconds}
    try:
        deal_id = yaml.safe_load((package / "deal.yaml").read_text(encoding="utf-8"))["deal_id"]
        seed, problems = read_registry_seed(package / "registry" / "registry.json")
        if seed is None:
            raise ValueError(f"registry seed of {package}: {problems}")
        # Registry only: the sandbox bank would pre-build every due's receipt (servicing reads a statement file).
        with running_sandbox(SandboxSeeds(registry={deal_id: seed})) as url:
            counterparties = {"registry": url, "curve": url, "bank": url}
            kwargs = {
                "deal_dir": str(package),
                "out_dir": str(work / "out"),
                "counterparties": counterparties,
            }
            began = time.perf_counter()
            if bare:
                with without_prefect():
                    result = lc.lifecycle.fn(**kwargs)
                flow_run_id = None
            else:
                state = lc.lifecycle(**kwargs, return_state=True)
                result = state.result()
                flow_run_id = str(state.state_details.flow_run_id)
            out["lifecycle_seconds"] = time.perf_counter() - began
    finally:
        undo()
    out["stages"] = {k: round(v, 3) for k, v in timings.items()}
    out["stages_done"] = sorted(result)
    out["deal_dir"], out["out_dir"] = str(package), str(work / "out")
    if flow_run_id:
        out["flow_run_id"] = flow_run_id
        out["task_runs"] = count_task_runs(flow_run_id)
    return out


def write_statement(package_dir: Path, path: Path) -> tuple[str, int]:
    """A bank statement paying every due of the first collection period in full on its due date."""
    from dataabs.package import load_package
    from dataabs.servicing.dues import scheduled_dues
    from dataabs.servicing.periods import collection_periods

    package = load_package(package_dir)
    period = collection_periods(package.deal)[0]
    dues = scheduled_dues(package.assets, package.schedules)
    due = pd.to_datetime(dues["due_date"]).dt.date
    dues = dues[(due > period.start) & (due <= period.end)]
    fen = (dues["interest_fen"] + dues["principal_fen"]).to_numpy(dtype=np.int64)
    frame = pd.DataFrame(
        {
            "transaction_id": np.char.add("BT", np.arange(len(dues)).astype(str)),
            "value_date": pd.to_datetime(dues["due_date"]).dt.strftime("%Y-%m-%d").to_numpy(),
            "amount": [f"{v // 100}.{v % 100:02d}" for v in fen.tolist()],
            "currency": "CNY",
            "counterparty_name": "",
            "counterparty_account": "",
            "reference": (dues["asset_id"] + " 还本付息").to_numpy(),
            "direction": "credit",
        }
    )
    frame = frame[fen > 0]
    frame.to_csv(path, index=False, encoding="utf-8")
    return period.payment_date.isoformat(), len(frame)


def run_servicing(workdir: str, deal_dir: str, out_dir: str, deal_id: str) -> dict[str, Any]:
    """Serve the first payment period of a deal the lifecycle issued, from a statement file."""
    work = Path(workdir)
    _use_home(work / "home")
    from datetime import date

    from flows.servicing import servicing

    began = time.perf_counter()
    statement = work / "statement.csv"
    payment_date, receipts = write_statement(Path(deal_dir), statement)
    build = time.perf_counter() - began
    began = time.perf_counter()
    result = servicing(
        deal_id=deal_id,
        payment_date=date.fromisoformat(payment_date),
        out_dir=out_dir,
        deal_dir=deal_dir,
        statement=str(statement),
    )
    return {
        "statement_seconds": build,
        "servicing_seconds": time.perf_counter() - began,
        "receipts": receipts,
        "payment_date": payment_date,
        "status": str(result.get("status", "distributed")) if isinstance(result, dict) else "done",
    }
