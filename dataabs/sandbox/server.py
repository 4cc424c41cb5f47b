"""Run the sandbox: in a background thread on a free loopback port (tests, flows) or in the foreground (CLI)."""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from dataabs.errors import PackageInvalid, Problem
from dataabs.package.loader import inside_package, parse_deal, read_yaml
from dataabs.sandbox.app import create_app
from dataabs.sandbox.seed import RegistrySeed, read_registry_seed

log = logging.getLogger("dataabs.sandbox")

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8765
STARTUP_TIMEOUT_SECONDS = 10.0


def load_seeds(package_dirs: Iterable[Path | str]) -> dict[str, RegistrySeed]:
    """The registry seed of each deal package by deal id; ``PackageInvalid`` if deal.yaml or a seed is bad."""
    seeds: dict[str, RegistrySeed] = {}
    for directory in package_dirs:
        root = Path(directory).resolve()
        deal_id, seed, problems = _package_seed(root)
        if problems:
            raise PackageInvalid(str(root), problems)
        if deal_id is not None and seed is not None:
            seeds[deal_id] = seed
    return seeds


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


def _config(seeds: Mapping[str, RegistrySeed], token: str | None, host: str, port: int) -> uvicorn.Config:
    """A quiet uvicorn config that leaves the process's logging setup alone."""
    return uvicorn.Config(
        create_app(seeds, token=token),
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
) -> Iterator[str]:
    """Serve the sandbox in a background thread (a free loopback port by default); yields its base URL."""
    if isinstance(seeds, RegistrySeed):
        seeds = {"default": seeds}
    _warn_if_exposed(host)
    sock = _bind(host, port)
    server = uvicorn.Server(_config(seeds or {}, token, host, port))
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
