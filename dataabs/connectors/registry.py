"""Client of the data registry (数据知识产权登记平台) and the pledge registry (中登网), and their wire models.

The same pydantic models describe what the registry answers and what the sandbox registry is seeded with
(``dataabs.sandbox.seed``), so the client and the sandbox cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, Literal, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from dataabs.connectors.http import CounterpartyClient, CounterpartyRejected, HttpAnswer, validate_body
from dataabs.errors import CounterpartyError

RightName = Literal["holding", "processing", "operation"]
CertificateStatus = Literal["active", "revoked", "suspended", "expired"]
PledgeStatus = Literal["active", "released", "cancelled", "expired"]
Classification = Literal["general", "important", "core"]

CERTIFICATES_PATH = "/registry/v1/certificates"
PLEDGES_PATH = "/registry/v1/pledges"


class Wire(BaseModel):
    """Base of the registry's records: unknown keys are an error, records are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Certificate(Wire):
    """A data-IP registration certificate (数据知识产权登记证书) as the registry holds it."""

    certificate_no: str = Field(
        pattern=r"^[0-9A-Za-z-]{1,40}$", description="17 digits for national certificates."
    )
    registry: str = Field(min_length=1, description="Registry id, e.g. jiangsu-data-ip.")
    registry_name: str = Field(min_length=1)
    holder_name: str = Field(min_length=1)
    holder_uscc: str = Field(description="Holder's 统一社会信用代码 as registered (checked by V1, not here).")
    data_asset_name: str = Field(min_length=1)
    rights: list[RightName] = Field(
        description="holding 数据资源持有权, processing 数据加工使用权, operation 数据产品经营权."
    )
    issued: date
    valid_from: date
    valid_to: date
    status: CertificateStatus
    objection_period_end: date = Field(description="Last day of the public objection period (异议期).")
    dispute: bool
    evidence_sha256: str = Field(
        pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 of the registered evidence file."
    )
    classification: Classification = Field(description="GB/T 43697-2024 level as registered.")


class Pledge(Wire):
    """A pledge registration (质押登记) on a certificate, as published on the movable-collateral registry."""

    registration_no: str = Field(min_length=1)
    certificate_no: str = Field(min_length=1)
    pledgor_uscc: str
    pledgee: str = Field(min_length=1)
    rank: int = Field(ge=1, description="1 ranks first.")
    registered: date
    description: str
    status: PledgeStatus


class CertificateAnswer(Wire):
    """``GET /registry/v1/certificates/{certificate_no}``."""

    certificate: Certificate
    fetched_at: datetime


class PledgeAnswer(Wire):
    """``GET /registry/v1/pledges?certificate_no=…``."""

    items: list[Pledge]
    fetched_at: datetime


BodyT = TypeVar("BodyT", CertificateAnswer, PledgeAnswer)


@dataclass(frozen=True)
class RegistrySnapshot(Generic[BodyT]):
    """One registry answer as fetched: the parsed body, URL path, fetch time (UTC) and SHA-256 of the raw bytes."""

    body: BodyT
    base_url: str
    path: str
    fetched_at: datetime
    sha256: str
    raw: bytes


@dataclass(frozen=True)
class RegistryEvidence:
    """What the registries say about one certificate: the certificate (None if not registered) and its pledges."""

    certificate_no: str
    certificate: RegistrySnapshot[CertificateAnswer] | None
    pledges: RegistrySnapshot[PledgeAnswer]


class RegistryClient(CounterpartyClient):
    """Fetch certificates and pledge registrations, validating every answer against the wire models."""

    counterparty = "registry"
    public_params = ("certificate_no",)

    def certificate(self, certificate_no: str) -> RegistrySnapshot[CertificateAnswer]:
        """The registered certificate; ``CounterpartyRejected`` with status 404 if the registry does not know it."""
        answer = self.http.get_json(f"{CERTIFICATES_PATH}/{quote(certificate_no, safe='')}")
        body = validate_body(CertificateAnswer, answer, "a certificate")
        if body.certificate.certificate_no != certificate_no:
            raise CounterpartyError(
                f"registry: GET {answer.path} answered certificate "
                f"{body.certificate.certificate_no}, not {certificate_no}"
            )
        return _snapshot(body, answer)

    def pledges(self, certificate_no: str) -> RegistrySnapshot[PledgeAnswer]:
        """Every pledge registration on a certificate (empty when none is registered)."""
        answer = self.http.get_json(PLEDGES_PATH, {"certificate_no": certificate_no})
        body = validate_body(PledgeAnswer, answer, "a pledge search")
        strays = sorted({p.certificate_no for p in body.items} - {certificate_no})
        if strays:
            raise CounterpartyError(
                f"registry: GET {answer.path} answered pledges on other certificates: {strays}"
            )
        return _snapshot(body, answer)

    def evidence(self, certificate_no: str) -> RegistryEvidence:
        """The certificate (None when the registry answers 404) and its pledge search, fetched now."""
        try:
            certificate: RegistrySnapshot[CertificateAnswer] | None = self.certificate(certificate_no)
        except CounterpartyRejected as rejected:
            if rejected.status != 404:
                raise
            certificate = None
        return RegistryEvidence(certificate_no, certificate, self.pledges(certificate_no))


def _snapshot(body: BodyT, answer: HttpAnswer) -> RegistrySnapshot[BodyT]:
    """Pair a validated body with where and when it was fetched."""
    return RegistrySnapshot(
        body=body,
        base_url=answer.base_url,
        path=answer.path,
        fetched_at=answer.fetched_at,
        sha256=answer.sha256,
        raw=answer.raw,
    )
