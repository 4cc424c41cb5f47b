"""Run the sandbox: in a background thread on a free loopback port (tests, flows) or in the foreground (CLI)."""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from pydantic import ValidationError

from dataabs.errors import PackageInvalid, Problem
from dataabs.package.loader import inside_package, load_package, parse_deal, read_yaml
from dataabs.package.schema import Deal
from dataabs.sandbox.app import create_app
from dataabs.sandbox.bank import BankScenario, BankSeed, build_bank_seed
from dataabs.sandbox.seed import RegistrySeed, read_registry_seed

log = logging.getLogger("dataabs.sandbox")

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8765
STARTUP_TIMEOUT_SECONDS = 10.0


class SandboxSeeds(dict[str, RegistrySeed]):
    """Registry seeds by deal id (a plain mapping, as before), carrying the deals' bank seeds in ``bank``."""

    def __init__(
        self, registry: Mapping[str, RegistrySeed] | None = None, bank: Mapping[str, BankSeed] | None = None
    ) -> None:
        super().__init__(registry or {})
        self.bank: dict[str, BankSeed] = dict(bank or {})


def load_seeds(package_dirs: Iterable[Path | str]) -> SandboxSeeds:
    """The registry and bank seeds of each deal package by deal id; ``PackageInvalid`` if a seed is bad.

    The bank serves the package's ``sandbox.bank`` file when it names one (a ``BankSeed``: ``account_no`` and
    ``transactions``; or a ``BankScenario`` written against the tapes); otherwise every obligor pays every due on
    its business day (the base scenario) into the deal's ``collection_account``. A package whose tapes do not load
    gets no bank account (its registry is still served).
    """
    seeds = SandboxSeeds()
    for directory in package_dirs:
        root = Path(directory).resolve()
        deal_id, seed, problems = _package_seed(root)
        if problems:
            raise PackageInvalid(str(root), problems)
        if deal_id is not None and seed is not None:
            seeds[deal_id] = seed
            bank = package_bank_seed(root)
            if bank is not None:
                seeds.bank[deal_id] = bank
    return seeds


def default_account(deal: Deal) -> str:
    """The plan account the sandbox bank keeps for a deal: its ``collection_account``, else ``PLAN-<deal>``."""
    return deal.collection_account or f"PLAN-{deal.deal_id}"


def package_bank_seed(root: Path) -> BankSeed | None:
    """The sandbox bank seed of one package (see ``load_seeds``); None when its tapes do not load."""
    try:
        package = load_package(root)
    except PackageInvalid as exc:
        log.warning("sandbox: no bank account for %s (%d package problem(s))", root, len(exc.problems))
        return None
    deal = package.deal
    scenario = BankScenario()
    if deal.sandbox.bank is not None:
        path = package.path(deal.sandbox.bank)
        raw = json.loads(path.read_bytes().decode("utf-8-sig"))
        try:
            if "transactions" in raw:
                return BankSeed.model_validate({"account_no": default_account(deal), **raw})
            scenario = BankScenario.model_validate(raw)
        except ValidationError as exc:
            problems = [
                Problem(str(path), e["msg"], column=".".join(str(p) for p in e["loc"])) for e in exc.errors()
            ]
            raise PackageInvalid(str(root), problems) from None
    return build_bank_seed(
        package.schedules, package.assets, package.obligors, scenario, account_no=default_account(deal)
    )


def _package_seed(root: Path) -> tuple[str | None, RegistrySeed | None, list[Problem]]:
    """One package's deal id and registry seed (an empty seed when the package declares none)."""
    raw, problems = (
        read_yaml(root / "deal.yaml")
        if (root / "deal.yaml").is_file()
        else (None, [Problem(str(root / "deal.yaml"), "file not found: not a deal package")])
    )
    if raw is None:
        return None, None, problems
    deal, problems = parse_deal(raw, str(root / "deal.yaml"))
    if deal is None:
        return None, None, problems
    if deal.sandbox.registry is None:
        return deal.deal_id, RegistrySeed(), []
    path, problems = inside_package(root, deal.sandbox.registry, "deal.yaml: sandbox.registry")
    if path is None:
        return None, None, problems
    seed, problems = read_registry_seed(path)
    return deal.deal_id, seed, problems


def _config(
    seeds: Mapping[str, RegistrySeed],
    token: str | None,
    host: str,
    port: int,
    bank: Mapping[str, BankSeed] | None = None,
) -> uvicorn.Config:
    """A quiet uvicorn config that leaves the process's logging setup alone."""
    if bank is None:
        bank = getattr(seeds, "bank", None)
    return uvicorn.Config(
        create_app(seeds, token=token, banks=bank),
        host=host,
        port=port,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )


def _bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket bound to host:port (port 0: a free port chosen by the OS)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(
        socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
    )  # inherited by accepted sockets: no 40 ms Nagle stalls
    sock.bind((host, port))
    return sock


@contextmanager
def running_sandbox(
    seeds: Mapping[str, RegistrySeed] | RegistrySeed | None = None,
    *,
    host: str = LOOPBACK,
    port: int = 0,
    token: str | None = None,
    bank: Mapping[str, BankSeed] | None = None,
) -> Iterator[str]:
    """Serve the sandbox in a background thread (a free loopback port by default); yields its base URL.

    Bank accounts come from ``bank``, else from the seeds' own ``bank`` (``load_seeds``), else none.
    """
    if isinstance(seeds, RegistrySeed):
        seeds = {"default": seeds}
    _warn_if_exposed(host)
    sock = _bind(host, port)
    server = uvicorn.Server(_config(seeds or {}, token, host, port, bank))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="dataabs-sandbox", daemon=True
    )
    thread.start()
    try:
        _wait_started(server, thread)
        bound_host, bound_port = sock.getsockname()[:2]
        yield f"http://{_url_host(bound_host)}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT_SECONDS)
        sock.close()


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    """Block until uvicorn accepts connections; raise if it died or did not start in time."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the sandbox server did not start (see the uvicorn log)")
        time.sleep(0.01)


def serve(
    host: str = LOOPBACK,
    port: int = DEFAULT_PORT,
    package_dirs: Iterable[Path | str] = (),
    token: str | None = None,
) -> None:
    """Serve the sandbox in the foreground for the given deal packages until interrupted (``dataabs sandbox``)."""
    seeds = load_seeds(package_dirs)
    _warn_if_exposed(host)
    log.warning(
        "sandbox serving %d deal(s) (%s) on http://%s:%d",
        len(seeds),
        ", ".join(sorted(seeds)) or "none",
        _url_host(host),
        port,
    )
    uvicorn.Server(_config(seeds, token, host, port)).run()


def _warn_if_exposed(host: str) -> None:
    """Warn when the sandbox is bound beyond loopback (only ever on explicit request)."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        log.warning(
            "sandbox bound to %s: reachable from other machines; it has no real data or access control", host
        )


def _url_host(host: str) -> str:
    """A host as it appears in a URL (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host else host
