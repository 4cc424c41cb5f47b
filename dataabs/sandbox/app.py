"""The sandbox counterparty service: FastAPI app serving the registry of one or more deals, with fault injection.

Counterparties are routers in their own modules (``registry.py`` now; ``bank.py`` for ``/bank/v1/...`` and
``curve.py`` for ``/curve/v1/...`` later): each adds a store on ``app.state`` built in ``create_app``, a router
included under the bearer-token check, and a key in ``SeedReplacement``. Faults, request counts and seed
replacement live under ``/_sandbox`` and apply to every counterparty alike; ``/_sandbox`` itself is never faulted.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from dataabs.sandbox import bank, curve, registry
from dataabs.sandbox.seed import RegistrySeed

CONTROL_PREFIX = "/_sandbox"
DEFAULT_DEAL = "default"
OPENAPI_PATH = Path(__file__).resolve().parents[2] / "docs" / "sandbox-openapi.json"

FaultMode = Literal["timeout", "status", "malformed", "partial", "truncated", "latency"]


class Control(BaseModel):
    """Base of the control-plane bodies: unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Fault(Control):
    """A fault injected into the next ``count`` requests whose path starts with ``path_prefix``."""

    path_prefix: str = Field(
        default="/", pattern=r"^/", description="E.g. /registry or /registry/v1/pledges."
    )
    mode: FaultMode = Field(
        description=(
            "timeout: wait delay_seconds, then 504; status: answer `status`; malformed: 200 with a body that is not "
            "JSON; partial: 200 with JSON whose records lack their second half of fields; truncated: 200 with the body "
            "cut in half; latency: wait delay_seconds, then answer normally."
        )
    )
    status: int = Field(default=500, ge=400, le=599, description="Status of mode=status.")
    delay_seconds: float = Field(
        default=2.0, ge=0, le=60, description="Wait of mode=timeout and mode=latency."
    )
    count: int = Field(default=1, ge=1, description="How many requests it affects; then service is normal.")


class FaultList(Control):
    """The faults still armed, with how many requests each will still affect."""

    faults: list[dict[str, Any]]


class SeedReplacement(Control):
    """New registry records for one deal (replacing that deal's previous ones)."""

    deal_id: str = Field(default=DEFAULT_DEAL, min_length=1)
    registry: RegistrySeed


class SeedSummary(Control):
    """What a deal's seed now holds."""

    deal_id: str
    certificates: int
    pledges: int


class RequestCounts(Control):
    """Requests received per path (query excluded), control paths excluded."""

    counts: dict[str, int]
    total: int


class Health(Control):
    """Liveness and the deals served."""

    status: Literal["ok"]
    deals: list[str]


@dataclass
class ArmedFault:
    """A fault and how many more requests it affects."""

    fault: Fault
    remaining: int


class SandboxState:
    """Mutable control state shared by the middleware (event loop) and sync endpoints (thread pool)."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        self.faults: list[ArmedFault] = []
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()

    def on_request(self, path: str) -> Fault | None:
        """Count a request and consume the first armed fault matching its path, if any."""
        with self.lock:
            self.requests[path] += 1
            for armed in self.faults:
                if path.startswith(armed.fault.path_prefix):
                    armed.remaining -= 1
                    if armed.remaining == 0:
                        self.faults.remove(armed)
                    return armed.fault
        return None

    def armed(self) -> FaultList:
        """The faults still armed."""
        with self.lock:
            return FaultList(faults=[{**a.fault.model_dump(), "remaining": a.remaining} for a in self.faults])


def create_app(
    seeds: Mapping[str, RegistrySeed] | RegistrySeed | None = None,
    *,
    token: str | None = None,
    banks: Mapping[str, bank.BankSeed] | None = None,
) -> FastAPI:
    """The sandbox app serving the registry records (a bare seed is deal ``default``) and bank accounts of deals."""
    if isinstance(seeds, RegistrySeed):
        seeds = {DEFAULT_DEAL: seeds}
    app = FastAPI(
        title="dataabs sandbox counterparties",
        version="1",
        description="Registry, bank/custodian and reference curve for tests and laptops.",
    )
    app.state.sandbox = SandboxState(token)
    app.state.registry = registry.RegistryStore(seeds or {})
    app.include_router(registry.router, dependencies=[Depends(_require_token)])
    app.include_router(curve.router, dependencies=[Depends(_require_token)])
    bank.install(app, banks or {}, dependencies=[Depends(_require_token)])
    app.include_router(control)
    app.middleware("http")(_inject_faults)
    return app


def _state(request: Request) -> SandboxState:
    """The sandbox control state of the running app."""
    state: SandboxState = request.app.state.sandbox
    return state


def _require_token(request: Request) -> None:
    """Refuse a counterparty call without the configured bearer token (no token configured: open)."""
    token = _state(request).token
    if token is not None and request.headers.get("authorization") != f"Bearer {token}":
        raise HTTPException(status_code=401, detail="missing or wrong bearer token")


async def _inject_faults(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Count counterparty requests and apply the first armed fault matching the path."""
    path = request.url.path
    if path.startswith(CONTROL_PREFIX):
        return await call_next(request)
    fault = _state(request).on_request(path)
    if fault is None:
        return await call_next(request)
    if fault.mode in ("timeout", "latency"):
        await asyncio.sleep(fault.delay_seconds)
        if fault.mode == "timeout":
            return JSONResponse({"detail": "sandbox fault: upstream timeout"}, status_code=504)
        return await call_next(request)
    if fault.mode == "status":
        return JSONResponse({"detail": f"sandbox fault: HTTP {fault.status}"}, status_code=fault.status)
    if fault.mode == "malformed":
        return Response(b"<html><body>502 Bad Gateway</body></html>", media_type="application/json")
    response = await call_next(request)
    body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
    if fault.mode == "truncated":
        body = body[: len(body) // 2]
    else:
        body = json.dumps(_drop_second_half(json.loads(body)), ensure_ascii=False).encode()
    return Response(body, status_code=response.status_code, media_type="application/json")


def _drop_second_half(value: Any, depth: int = 0) -> Any:
    """The JSON value with every nested record cut to the first half of its fields (the envelope kept whole)."""
    if isinstance(value, list):
        return [_drop_second_half(v, depth) for v in value]
    if isinstance(value, dict):
        items = list(value.items())
        if depth > 0:
            items = items[: max(1, len(items) // 2)]
        return {k: _drop_second_half(v, depth + 1) for k, v in items}
    return value


control = APIRouter(tags=["sandbox control"])


@control.get("/health", response_model=Health)
def health(request: Request) -> Health:
    """Liveness and the deals served."""
    store: registry.RegistryStore = request.app.state.registry
    return Health(status="ok", deals=sorted(store.seeds))


@control.post(CONTROL_PREFIX + "/faults", response_model=FaultList)
def arm_fault(fault: Fault, request: Request) -> FaultList:
    """Arm a fault for the next ``count`` matching requests (faults apply in the order armed)."""
    state = _state(request)
    with state.lock:
        state.faults.append(ArmedFault(fault, fault.count))
    return state.armed()


@control.get(CONTROL_PREFIX + "/faults", response_model=FaultList)
def list_faults(request: Request) -> FaultList:
    """The faults still armed."""
    return _state(request).armed()


@control.delete(CONTROL_PREFIX + "/faults", response_model=FaultList)
def clear_faults(request: Request) -> FaultList:
    """Disarm every fault."""
    state = _state(request)
    with state.lock:
        state.faults.clear()
    return state.armed()


@control.post(CONTROL_PREFIX + "/seed", response_model=SeedSummary, responses={409: {"description": "Clash"}})
def replace_seed(replacement: SeedReplacement, request: Request) -> SeedSummary:
    """Replace one deal's registry records (e.g. plant a revoked certificate or a prior-ranking pledge)."""
    store: registry.RegistryStore = request.app.state.registry
    try:
        store.replace(replacement.deal_id, replacement.registry)
    except ValueError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    seed = replacement.registry
    return SeedSummary(
        deal_id=replacement.deal_id, certificates=len(seed.certificates), pledges=len(seed.pledges)
    )


@control.get(CONTROL_PREFIX + "/requests", response_model=RequestCounts)
def request_counts(request: Request) -> RequestCounts:
    """Requests received per path since start or the last reset."""
    state = _state(request)
    with state.lock:
        return RequestCounts(counts=dict(state.requests), total=sum(state.requests.values()))


@control.delete(CONTROL_PREFIX + "/requests", response_model=RequestCounts)
def reset_request_counts(request: Request) -> RequestCounts:
    """Forget the request counts."""
    state = _state(request)
    with state.lock:
        state.requests.clear()
    return RequestCounts(counts={}, total=0)


def write_openapi(path: Path | str = OPENAPI_PATH) -> Path:
    """Write the sandbox's OpenAPI document (JSON) to a file, e.g. ``docs/sandbox-openapi.json``."""
    path = Path(path)
    path.write_text(openapi_text(), encoding="utf-8")
    return path


def openapi_text() -> str:
    """The sandbox's OpenAPI document as stable, pretty-printed JSON."""
    return json.dumps(create_app().openapi(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(write_openapi())
