"""The sandbox data registry: certificates and pledge registrations of one or more deals, in one namespace.

A real registry serves every certificate nationally, so the sandbox merges the deals' seeds into one index;
the same certificate number seeded by two deals is an error. Counterparty routers follow this module's shape:
a store built from the deals' seeds plus an ``APIRouter`` reading it through ``request.app.state``
(``bank.py`` and ``curve.py`` will be siblings of this module).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from dataabs.connectors.registry import (
    CERTIFICATES_PATH,
    PLEDGES_PATH,
    Certificate,
    CertificateAnswer,
    Pledge,
    PledgeAnswer,
)
from dataabs.sandbox.seed import RegistrySeed

PREFIX = "/registry"


class RegistryStore:
    """The registry's records by deal, with a merged index by certificate number."""

    def __init__(self, seeds: Mapping[str, RegistrySeed]) -> None:
        self.seeds: dict[str, RegistrySeed] = {}
        self.certificates: dict[str, Certificate] = {}
        self.pledges: dict[str, list[Pledge]] = {}
        self._reindex(dict(seeds))

    def replace(self, deal_id: str, seed: RegistrySeed) -> None:
        """Replace one deal's records; ``ValueError`` if a certificate number clashes with another deal's."""
        self._reindex({**self.seeds, deal_id: seed})

    def _reindex(self, seeds: dict[str, RegistrySeed]) -> None:
        """Rebuild the merged index, refusing a certificate number seeded by two deals."""
        owners: dict[str, str] = {}
        certificates: dict[str, Certificate] = {}
        pledges: dict[str, list[Pledge]] = {}
        for deal_id, seed in seeds.items():
            for cert in seed.certificates:
                if cert.certificate_no in owners:
                    raise ValueError(
                        f"certificate {cert.certificate_no} is seeded by deals "
                        f"{owners[cert.certificate_no]} and {deal_id}"
                    )
                owners[cert.certificate_no] = deal_id
                certificates[cert.certificate_no] = cert
            for pledge in seed.pledges:
                pledges.setdefault(pledge.certificate_no, []).append(pledge)
        self.seeds, self.certificates, self.pledges = seeds, certificates, pledges


router = APIRouter(tags=["registry"])


def _store(request: Request) -> RegistryStore:
    """The registry store of the running app."""
    store: RegistryStore = request.app.state.registry
    return store


@router.get(
    CERTIFICATES_PATH + "/{certificate_no}",
    response_model=CertificateAnswer,
    responses={404: {"description": "No such certificate"}},
)
def get_certificate(certificate_no: str, request: Request) -> CertificateAnswer:
    """A data-IP certificate by number (数据知识产权登记证书查询)."""
    certificate = _store(request).certificates.get(certificate_no)
    if certificate is None:
        raise HTTPException(status_code=404, detail=f"certificate {certificate_no} is not registered")
    return CertificateAnswer(certificate=certificate, fetched_at=datetime.now(UTC))


@router.get(PLEDGES_PATH, response_model=PledgeAnswer)
def search_pledges(certificate_no: Annotated[str, Query(min_length=1)], request: Request) -> PledgeAnswer:
    """Pledge registrations on a certificate, best rank first (中登网 search result)."""
    items = sorted(_store(request).pledges.get(certificate_no, []), key=lambda p: (p.rank, p.registered))
    return PledgeAnswer(items=items, fetched_at=datetime.now(UTC))
