"""Real Prefect servers and workers on loopback for the operations tests: start, wait, read back, kill."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from dataabs.settings import REPO_ROOT

PREFECT = str(Path(sys.executable).with_name("prefect"))
DATAABS = str(Path(sys.executable).with_name("dataabs"))
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], Any], seconds: float, what: str, every: float = 0.5) -> Any:
    """Poll until a condition is truthy and return it; raise naming what did not happen."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"timed out after {seconds:.0f} s waiting for {what}")


def base_env(home: Path) -> dict[str, str]:
    """Telemetry off, a private PREFECT_HOME, no inherited API URL or test-harness settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DATAABS_WEBHOOK"))}
    env.update(
        {
            "PREFECT_HOME": str(home),
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "GX_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "INFO",
        }
    )
    return env


class RetryOn5xx(httpx.HTTPTransport):
    """Retry an API call answered with 5xx a few times with backoff, as Prefect's client does."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for attempt in range(6):
            response = super().handle_request(request)
            if response.status_code < 500 or attempt == 5:
                return response
            response.close()
            time.sleep(0.5 * 2**attempt)
        return response


@dataclass
class Stack:
    """A running Prefect server (+ workers) and the environment a client of it needs."""

    api: str
    env: dict[str, str]
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def ui(self) -> str:
        """The UI root (the SPA is served at ``/``)."""
        return self.api.removesuffix("/api")

    def client(self) -> httpx.Client:
        """An HTTP client of the API that retries 5xx answers (a SQLite server answers 503 when its file is locked,
        as Prefect's own client expects; it retries them too)."""
        return httpx.Client(base_url=self.api, timeout=30, transport=RetryOn5xx())

    def spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start a process of the stack in its own process group, logging to ``logs/<name>.log``."""
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            args,
            env={**self.env, **(env or {})},
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def cli(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        """Run ``dataabs <args>`` against this server."""
        return subprocess.run(
            [DATAABS, *args],
            env={**self.env, **(env or {})},
            cwd=REPO_ROOT,
            text=True,
            capture_output=True,
            timeout=timeout,
            check=False,
        )

    def start_worker(self, name: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """A real ``prefect worker start --pool dataabs --type process``; waits for its first heartbeat."""
        process = self.spawn(
            f"worker-{name}",
            [PREFECT, "worker", "start", "--pool", "dataabs", "--type", "process", "--name", name],
            env,
        )

        def online() -> bool:
            with self.client() as client:
                answer = client.post("/work_pools/dataabs/workers/filter", json={})
                return answer.status_code == 200 and any(w["name"] == name for w in answer.json())

        wait_for(online, 60, f"worker {name} to send a heartbeat")
        return process

    def flow_run(self, run_id: str) -> dict[str, Any]:
        """A flow run as the API returns it."""
        with self.client() as client:
            answer = client.get(f"/flow_runs/{run_id}")
            answer.raise_for_status()
            return dict(answer.json())

    def wait_run(self, run_id: str, seconds: float) -> dict[str, Any]:
        """Wait for a flow run to reach a terminal state; return it."""
        return dict(
            wait_for(
                lambda: (lambda r: r if r["state_type"] in TERMINAL else None)(self.flow_run(run_id)),
                seconds,
                f"flow run {run_id} to finish",
                every=1.0,
            )
        )

    def create_run(self, deployment: str, parameters: dict[str, Any], tags: list[str] | None = None) -> str:
        """Create a flow run of ``<flow>/<deployment>`` through the API; return its id."""
        with self.client() as client:
            flow_name, name = deployment.split("/")
            found = client.get(f"/deployments/name/{flow_name}/{name}")
            found.raise_for_status()
            answer = client.post(
                f"/deployments/{found.json()['id']}/create_flow_run",
                json={"parameters": parameters, "tags": tags or []},
            )
            answer.raise_for_status()
            return str(answer.json()["id"])

    def stop(self) -> None:
        """Kill every process of the stack (process groups: workers' flow-run children too)."""
        for process in reversed(self.processes):
            if process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@contextmanager
def prefect_stack(home: Path, database_url: str | None, extra_env: dict[str, str]) -> Iterator[Stack]:
    """``prefect server start`` on a free loopback port (SQLite in ``home`` or the given PostgreSQL URL)."""
    port = free_port()
    env = base_env(home)
    env.update(extra_env)
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    server_env = {
        "PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS": "1",
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
        "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
    }
    if database_url:
        server_env["PREFECT_API_DATABASE_CONNECTION_URL"] = database_url
    stack = Stack(api=f"http://127.0.0.1:{port}/api", env=env, logs=logs)
    server_env["PREFECT_UI_API_URL"] = stack.api  # the SPA asks the API here (default: port 4200)
    stack.spawn(
        "server", [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], server_env
    )
    stack.env.update(
        {
            "PREFECT_API_URL": stack.api,
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "0",
            "PREFECT_WORKER_HEARTBEAT_SECONDS": "5",
        }
    )
    try:

        def healthy() -> bool:
            if stack.processes[0].poll() is not None:
                raise RuntimeError(f"prefect server exited: {(logs / 'server.log').read_text()[-2000:]}")
            try:
                return httpx.get(f"{stack.api}/health", timeout=2).json() is True
            except (httpx.HTTPError, ValueError):
                return False

        wait_for(healthy, 90, "the Prefect server to answer /health")
        yield stack
    finally:
        stack.stop()


@dataclass
class Receiver:
    """A webhook receiver on loopback: every POST body it got."""

    url: str
    bodies: list[bytes] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    """An ``http.server`` in a thread that records POSTs and answers like a chat robot (errcode 0)."""
    received = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            received.bodies.append(self.rfile.read(length))
            received.paths.append(self.path)
            body = b'{"errcode": 0, "errmsg": "ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
