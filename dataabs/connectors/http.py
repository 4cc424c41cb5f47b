"""Shared HTTP plumbing of every counterparty: explicit timeouts, bearer tokens, retries on timeouts and 5xx only.

Each counterparty client (registry now, bank/custodian and reference curve later) owns one ``CounterpartyHttp``.
A call either returns an ``HttpAnswer`` (raw bytes, parsed JSON, fetch time, SHA-256 of the bytes) or raises a
``CounterpartyError`` that names the counterparty, the URL path and what went wrong. Tokens travel in the
``Authorization`` header only and never appear in logs or error messages; query values are shown only for the
parameters a client declares public.
"""

from __future__ import annotations

import hashlib
import json
import logging
import ssl
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, ClassVar, Self, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from dataabs.errors import CounterpartyError
from dataabs.settings import Settings, get_settings

log = logging.getLogger("dataabs.connectors")

M = TypeVar("M", bound=BaseModel)

RETRYABLE_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
MAX_SHAPE_ERRORS = 5


class CounterpartyRejected(CounterpartyError):
    """A counterparty refused a request with a 4xx status (not retried): bad request, no such record, no access."""

    def __init__(self, counterparty: str, path: str, status: int, detail: str) -> None:
        self.counterparty, self.path, self.status, self.detail = counterparty, path, status, detail
        super().__init__(f"{counterparty}: GET {path} was refused with HTTP {status}: {detail}")


@dataclass(frozen=True)
class HttpAnswer:
    """A counterparty's successful answer: where from, when (UTC), the raw bytes, their SHA-256 and parsed JSON."""

    counterparty: str
    base_url: str
    path: str
    fetched_at: datetime
    raw: bytes
    sha256: str
    body: Any


class CounterpartyHttp:
    """GET JSON from one counterparty with explicit timeouts, a bearer token and bounded exponential backoff."""

    def __init__(
        self,
        counterparty: str,
        base_url: str,
        *,
        token: str | None = None,
        timeout_seconds: float | None = None,
        retries: int | None = None,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 8.0,
        public_params: Collection[str] = (),
        settings: Settings | None = None,
    ) -> None:
        settings = settings or get_settings()
        self.counterparty = counterparty
        self.retries = settings.http_retries if retries is None else retries
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.public_params = frozenset(public_params)
        token = token if token is not None else getattr(settings, f"{counterparty}_token", None)
        timeout = settings.http_timeout_seconds if timeout_seconds is None else timeout_seconds
        self._client = make_http_client(base_url, token=token, timeout_seconds=timeout)

    @property
    def base_url(self) -> str:
        """The counterparty's base URL."""
        return str(self._client.base_url)

    def get_json(self, path: str, params: Mapping[str, str] | None = None) -> HttpAnswer:
        """GET a JSON document, retrying timeouts, connection errors and 5xx; raise ``CounterpartyError`` otherwise."""
        shown = self.display(path, params)
        attempts = self.retries + 1
        last = "no attempt made"
        for attempt in range(1, attempts + 1):
            try:
                response = self._client.get(path, params=dict(params or {}))
            except RETRYABLE_ERRORS as exc:
                last = f"{type(exc).__name__} ({_describe_transport_error(exc)})"
            except httpx.HTTPError as exc:
                raise CounterpartyError(
                    f"{self.counterparty}: GET {shown} failed: {type(exc).__name__}"
                ) from exc
            else:
                if response.status_code < 500:
                    return self._answer(response, shown, params)
                last = f"HTTP {response.status_code}"
            if attempt < attempts:
                delay = min(self.backoff_seconds * 2 ** (attempt - 1), self.max_backoff_seconds)
                log.warning(
                    "%s GET %s failed (%s); retry %d of %d in %.2fs",
                    self.counterparty,
                    shown,
                    last,
                    attempt,
                    self.retries,
                    delay,
                )
                time.sleep(delay)
        raise CounterpartyError(
            f"{self.counterparty}: GET {shown} failed after {attempts} attempt(s) "
            f"(timeouts, connection errors and 5xx are retried); last error: {last}"
        )

    def _answer(self, response: httpx.Response, shown: str, params: Mapping[str, str] | None) -> HttpAnswer:
        """Turn a non-5xx response into an answer, or raise naming the status or the JSON defect."""
        if response.status_code >= 400:
            raise CounterpartyRejected(
                self.counterparty, shown, response.status_code, _error_detail(response)
            )
        if response.status_code != 200:
            raise CounterpartyError(
                f"{self.counterparty}: GET {shown} answered unexpected HTTP {response.status_code}"
            )
        raw = response.content
        log.info("%s GET %s → HTTP 200, %d bytes", self.counterparty, shown, len(raw))
        return HttpAnswer(
            counterparty=self.counterparty,
            base_url=self.base_url,
            path=self.display(response.request.url.path, params),
            fetched_at=datetime.now(UTC),
            raw=raw,
            sha256=hashlib.sha256(raw).hexdigest(),
            body=parse_json(raw, f"{self.counterparty}: GET {shown}"),
        )

    def display(self, path: str, params: Mapping[str, str] | None = None) -> str:
        """The path as logs and errors show it: query values only for public parameters, others masked."""
        if not params:
            return path
        shown = "&".join(f"{k}={v if k in self.public_params else '***'}" for k, v in params.items())
        return f"{path}?{shown}"

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> CounterpartyHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_http_client(base_url: str, *, token: str | None, timeout_seconds: float) -> httpx.Client:
    """An httpx client with an explicit timeout and, if given, a bearer token header (httpx masks it in reprs)."""
    headers = {"Accept": "application/json", "User-Agent": "dataabs"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(
        base_url=base_url,
        headers=headers,
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=False,
        verify=tls_context(),
    )


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi or SSL_CERT_FILE), built once: loading CA certificates costs ~30 ms."""
    return httpx.create_ssl_context()


def parse_json(raw: bytes, where: str) -> Any:
    """Parse a JSON body, or raise ``CounterpartyError`` saying whether it is truncated or not JSON at all."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CounterpartyError(f"{where} answered a body that is not UTF-8 text ({len(raw)} bytes)") from exc
    if not text.strip():
        raise CounterpartyError(f"{where} answered an empty body where JSON was expected")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        ends_early = exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated")
        kind = "truncated JSON (the body ends early)" if ends_early else "malformed JSON"
        raise CounterpartyError(
            f"{where} answered {kind}: {exc.msg} at line {exc.lineno} column {exc.colno} ({len(raw)} bytes)"
        ) from exc


class CounterpartyClient:
    """Base of the counterparty clients: one ``CounterpartyHttp`` named after the counterparty, closed on exit."""

    counterparty: ClassVar[str]
    public_params: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout_seconds: float | None = None,
        retries: int | None = None,
        backoff_seconds: float = 0.5,
        settings: Settings | None = None,
    ) -> None:
        self.http = CounterpartyHttp(
            self.counterparty,
            base_url,
            token=token,
            timeout_seconds=timeout_seconds,
            retries=retries,
            backoff_seconds=backoff_seconds,
            public_params=self.public_params,
            settings=settings,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def validate_body(model: type[M], answer: HttpAnswer, what: str) -> M:
    """Validate an answer's JSON against its model, or raise naming the fields that are missing or wrong."""
    try:
        return model.model_validate(answer.body)
    except ValidationError as exc:
        errors = exc.errors()
        found = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(body)'}: {e['msg']}" for e in errors[:MAX_SHAPE_ERRORS]
        )
        more = f" (and {len(errors) - MAX_SHAPE_ERRORS} more)" if len(errors) > MAX_SHAPE_ERRORS else ""
        raise CounterpartyError(
            f"{answer.counterparty}: GET {answer.path} answered {what} of the wrong shape "
            f"(missing or invalid fields, a partial record?): {found}{more}"
        ) from exc


def _error_detail(response: httpx.Response) -> str:
    """The human part of an error response: its JSON ``detail``/``message`` if any, else a short text excerpt."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("detail", "message", "error"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return json.dumps(body, ensure_ascii=False)[:200]


def _describe_transport_error(exc: httpx.HTTPError) -> str:
    """What kind of transport failure happened, without URLs or headers."""
    if isinstance(exc, httpx.TimeoutException):
        return "no answer within the timeout"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    return "connection broken"
