"""Rights verification (确权核验) V1–V9 of each data asset against the registries' answers.

Inputs are the typed tapes of a deal package (data assets, obligors, assets), the registry evidence fetched per
certificate number, and the package root (for the evidence files). The result has the columns of the report
contract ``rights/verification.csv``: one row per data asset and check, with a plain-words reason. There are few
certificates per deal, so the checks run per data asset.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from dataabs.connectors.registry import Certificate, Classification, Pledge, RegistryEvidence, RightName
from dataabs.package.loader import inside_package, sha256_file
from dataabs.rights.certificates import certificate_no_problem
from dataabs.rights.uscc import is_valid_uscc

VERIFICATION_COLUMNS = ["data_asset_id", "certificate_no", "check_id", "passed", "detail"]
CLASSIFICATION_ORDER: dict[Classification, int] = {"general": 0, "important": 1, "core": 2}


class RightsPolicy(BaseModel):
    """House thresholds of rights verification (policy.yaml ``rights`` section, overridable per deal)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    maturity_buffer_days: int = Field(default=180, ge=0, description="V4: valid_to ≥ loan maturity + this.")
    required_rights: frozenset[RightName] = Field(
        default=frozenset({"holding", "operation"}), description="V6: rights the pledgor must hold."
    )
    require_pledge: bool = Field(default=True, description="V3/V4/V7: the data asset must secure a loan.")
    obligor_is_holder: bool = Field(
        default=True,
        description=(
            "V3: each pledging asset's obligor is the holder (a borrower pledging its own data). False for "
            "revenue rights (数据产品收益权): the obligors are the licensees who pay, the holder sells and pledges."
        ),
    )
    allow_important_with_waiver: bool = Field(
        default=True, description="V9: important data with waiver passes."
    )
    risk_assessment_max_age_days: int = Field(
        default=365, ge=0, description="V9: age of the annual assessment."
    )


@dataclass(frozen=True)
class Case:
    """Everything known about one data asset: tape rows, the registry's answers and the evidence file's hash."""

    data_asset: dict[str, Any]
    holder: dict[str, Any]
    loans: list[dict[str, Any]]
    borrowers: dict[str, dict[str, Any]]
    evidence: RegistryEvidence | None
    evidence_sha256: str | None
    evidence_problem: str | None
    as_of: date
    pledgee: str | None

    @property
    def certificate_no(self) -> str | None:
        """The certificate number the data-asset tape gives."""
        return _value(self.data_asset.get("certificate_no"))

    @property
    def certificate(self) -> Certificate | None:
        """The registry's certificate, None when not registered or not fetched."""
        if self.evidence is None or self.evidence.certificate is None:
            return None
        return self.evidence.certificate.body.certificate

    @property
    def active_pledges(self) -> list[Pledge]:
        """Active pledge registrations on the certificate."""
        if self.evidence is None:
            return []
        return [p for p in self.evidence.pledges.body.items if p.status == "active"]

    def missing_certificate(self) -> str:
        """Why there is no registry certificate to check."""
        if self.certificate_no is None:
            return "the data-asset tape gives no certificate number"
        if self.evidence is None:
            return f"registry evidence for certificate {self.certificate_no} was not fetched"
        return f"the registry has no certificate {self.certificate_no}"


Result = tuple[bool, str]
Check = Callable[[Case, RightsPolicy], Result]


def check_holder_uscc(case: Case, policy: RightsPolicy) -> Result:
    """V1: the holder's 统一社会信用代码 passes the GB 32100 check, in the obligor tape and in the registry."""
    codes = {f"obligor {case.holder['obligor_id']}": _value(case.holder.get("uscc"))}
    if case.certificate is not None:
        codes["registry holder"] = case.certificate.holder_uscc
    bad = [
        f"{where} USCC {code!r}" for where, code in codes.items() if code is None or not is_valid_uscc(code)
    ]
    if bad:
        return False, "invalid USCC (GB 32100 format or check character): " + "; ".join(bad)
    return True, "holder USCC valid (GB 32100): " + ", ".join(f"{w} {c}" for w, c in codes.items())


def check_certificate_format(case: Case, policy: RightsPolicy) -> Result:
    """V2: the certificate number is 17 digits: year, month, registry code, serial."""
    if case.certificate_no is None:
        return False, case.missing_certificate()
    problem = certificate_no_problem(case.certificate_no)
    return (False, problem) if problem else (True, f"certificate number {case.certificate_no} is well formed")


def check_same_party(case: Case, policy: RightsPolicy) -> Result:
    """V3: the registered holder, the data asset's holder, each pledgor and each borrower are one company."""
    if case.certificate is None:
        return False, case.missing_certificate()
    holder = _norm(case.holder.get("uscc"))
    reasons = []
    if _norm(case.certificate.holder_uscc) != holder:
        reasons.append(
            f"registry holder USCC {case.certificate.holder_uscc} ≠ holder obligor "
            f"{case.holder['obligor_id']} USCC {holder}"
        )
    for loan in case.loans if policy.obligor_is_holder else ():
        borrower = _norm(case.borrowers.get(loan["obligor_id"], {}).get("uscc"))
        if borrower != holder:
            reasons.append(
                f"loan {loan['asset_id']} borrower {loan['obligor_id']} (USCC {borrower}) is not the holder"
            )
    reasons += [
        f"pledge {p.registration_no} pledgor USCC {p.pledgor_uscc} is not the holder"
        for p in case.active_pledges
        if _norm(p.pledgor_uscc) != holder
    ]
    if policy.require_pledge and not case.loans:
        reasons.append("no asset in the tape pledges this data asset, so there is no borrower")
    if policy.require_pledge and not case.active_pledges:
        reasons.append("no active pledge registration, so there is no pledgor")
    if reasons:
        return False, "; ".join(reasons)
    if not policy.obligor_is_holder:
        return True, (
            f"holder and pledgor are the same company (USCC {holder}); the {len(case.loans)} pledging assets' "
            "obligors are payers, not pledgors (policy rights.obligor_is_holder: false)"
        )
    return True, f"holder, borrower and pledgor are the same company (USCC {holder})"


def check_validity_covers_maturity(case: Case, policy: RightsPolicy) -> Result:
    """V4: the certificate stays valid until the latest pledging loan's maturity plus the buffer."""
    if case.certificate is None:
        return False, case.missing_certificate()
    if not case.loans:
        if policy.require_pledge:
            return False, "no asset in the tape pledges this data asset: no loan maturity to cover"
        return True, "not pledged: no loan maturity to cover"
    maturity = max(_date(loan["maturity_date"]) for loan in case.loans)
    needed = maturity + timedelta(days=policy.maturity_buffer_days)
    valid_to = case.certificate.valid_to
    if valid_to < needed:
        return False, (
            f"certificate valid to {valid_to}, before loan maturity {maturity} + "
            f"{policy.maturity_buffer_days} days = {needed}"
        )
    return (
        True,
        f"certificate valid to {valid_to} ≥ loan maturity {maturity} + {policy.maturity_buffer_days} days",
    )


def check_status(case: Case, policy: RightsPolicy) -> Result:
    """V5: the certificate is active and in force, its objection period (异议期) is over and nobody disputes it."""
    cert = case.certificate
    if cert is None:
        return False, case.missing_certificate()
    reasons = []
    if cert.status != "active":
        reasons.append(f"registry status is {cert.status}")
    if not cert.valid_from <= case.as_of <= cert.valid_to:
        reasons.append(
            f"as of {case.as_of} the certificate is outside its validity {cert.valid_from} to {cert.valid_to}"
        )
    if cert.objection_period_end >= case.as_of:
        reasons.append(f"objection period runs to {cert.objection_period_end}, not over as of {case.as_of}")
    if cert.dispute:
        reasons.append("the registry records a dispute")
    if reasons:
        return False, "; ".join(reasons)
    return True, f"active, objection period ended {cert.objection_period_end}, no dispute"


def check_rights_bundle(case: Case, policy: RightsPolicy) -> Result:
    """V6: the registered rights include every right the policy requires (e.g. 持有权 + 经营权)."""
    if case.certificate is None:
        return False, case.missing_certificate()
    held = set(case.certificate.rights)
    missing = sorted(policy.required_rights - held)
    if missing:
        return (
            False,
            f"missing required rights {', '.join(missing)} (registered: {', '.join(sorted(held)) or 'none'})",
        )
    return (
        True,
        f"registered rights {', '.join(sorted(held))} include {', '.join(sorted(policy.required_rights))}",
    )


def check_pledge(case: Case, policy: RightsPolicy) -> Result:
    """V7: the deal's pledge is registered (中登网), ranks first and its description cites the certificate."""
    if case.certificate_no is None or case.evidence is None:
        return False, case.missing_certificate()
    active = case.active_pledges
    if not active:
        if not policy.require_pledge:
            return True, "no pledge registered; the policy does not require one"
        return False, f"no active pledge registration on certificate {case.certificate_no}"
    ours, problem = _deal_pledges(active, case.pledgee)
    if problem:
        return False, problem
    best = min(ours, key=lambda p: (p.rank, p.registered))
    ahead = [p for p in active if p.pledgee != best.pledgee and p.rank <= best.rank]
    reasons = [
        f"pledge {p.registration_no} to {p.pledgee} ranks {p.rank}, not behind the deal's pledge "
        f"{best.registration_no} (rank {best.rank})"
        for p in ahead
    ]
    if best.registered > case.as_of:
        reasons.append(f"pledge {best.registration_no} registered {best.registered}, after {case.as_of}")
    if case.certificate_no not in best.description:
        reasons.append(
            f"pledge {best.registration_no} description does not cite certificate {case.certificate_no}"
        )
    if reasons:
        return False, "; ".join(reasons)
    return True, (
        f"pledge {best.registration_no} to {best.pledgee} registered {best.registered} ranks first "
        f"(rank {best.rank}) and cites the certificate"
    )


def _deal_pledges(active: list[Pledge], pledgee: str | None) -> tuple[list[Pledge], str | None]:
    """The deal's active pledges: to the named pledgee, or all when only one pledgee holds any."""
    pledgees = sorted({p.pledgee for p in active})
    if pledgee is None:
        if len(pledgees) > 1:
            return (
                [],
                f"active pledges to several pledgees ({', '.join(pledgees)}); the deal's pledgee is not named",
            )
        return active, None
    ours = [p for p in active if p.pledgee == pledgee]
    if not ours:
        return [], f"no active pledge to {pledgee} (active pledges to: {', '.join(pledgees)})"
    return ours, None


def check_evidence_hash(case: Case, policy: RightsPolicy) -> Result:
    """V8: the SHA-256 of the package's evidence file equals the hash the registry holds."""
    if case.certificate is None:
        return False, case.missing_certificate()
    if case.evidence_problem or case.evidence_sha256 is None:
        return False, case.evidence_problem or "no evidence file"
    registered = case.certificate.evidence_sha256.lower()
    if case.evidence_sha256 != registered:
        return False, (
            f"evidence file {case.data_asset.get('evidence_file')} has SHA-256 {case.evidence_sha256[:12]}…, "
            f"the registry holds {registered[:12]}…"
        )
    return True, f"evidence file SHA-256 {registered[:12]}… matches the registry"


def check_classification_and_source(case: Case, policy: RightsPolicy) -> Result:
    """V9: not core data (GB/T 43697), important data only with waiver and current assessment; source evidenced."""
    levels: list[Classification] = [case.data_asset["classification"]]
    if case.certificate is not None:
        levels.append(case.certificate.classification)
    level = max(levels, key=CLASSIFICATION_ORDER.__getitem__)
    reasons = _classification_reasons(case, policy, level) + _source_reasons(case)
    if reasons:
        return False, "; ".join(reasons)
    return True, f"{level} data; source {case.data_asset['source_type']} evidenced"


def _classification_reasons(case: Case, policy: RightsPolicy, level: Classification) -> list[str]:
    """Why the (stricter) classification blocks the pledge, if it does."""
    if level == "core":
        return ["core data (核心数据) may not be pledged"]
    if level == "general":
        return []
    if not policy.allow_important_with_waiver:
        return ["important data (重要数据) may not be pledged under the policy"]
    reasons = (
        [] if _value(case.data_asset.get("waiver_ref")) else ["important data without a recorded waiver"]
    )
    assessed = _value(case.data_asset.get("risk_assessment_date"))
    oldest = case.as_of - timedelta(days=policy.risk_assessment_max_age_days)
    if assessed is None or _date(assessed) < oldest:
        reasons.append(f"important data without a risk assessment since {oldest}")
    return reasons


def _source_reasons(case: Case) -> list[str]:
    """Why the data's source is not evidenced (authorisation missing or expired), if it is not."""
    source = case.data_asset["source_type"]
    if source == "self_collected":
        return []
    if _value(case.data_asset.get("authorisation_ref")) is None:
        return [f"{source} data without an authorisation reference"]
    expiry = _value(case.data_asset.get("authorisation_expiry"))
    if expiry is not None and _date(expiry) < case.as_of:
        return [f"authorisation {case.data_asset['authorisation_ref']} expired {_date(expiry)}"]
    return []


CHECKS: dict[str, Check] = {
    "V1": check_holder_uscc,
    "V2": check_certificate_format,
    "V3": check_same_party,
    "V4": check_validity_covers_maturity,
    "V5": check_status,
    "V6": check_rights_bundle,
    "V7": check_pledge,
    "V8": check_evidence_hash,
    "V9": check_classification_and_source,
}


def verify_rights(
    data_assets: pd.DataFrame,
    obligors: pd.DataFrame,
    assets: pd.DataFrame,
    evidence: Mapping[str, RegistryEvidence],
    *,
    as_of: date,
    package_root: Path | str,
    policy: RightsPolicy | None = None,
    pledgee: str | None = None,
) -> pd.DataFrame:
    """Checks V1–V9 for every data asset; ``evidence`` is keyed by certificate number, ``pledgee`` names the deal's."""
    policy = policy or RightsPolicy()
    rows = []
    for case in build_cases(
        data_assets, obligors, assets, evidence, as_of=as_of, package_root=Path(package_root), pledgee=pledgee
    ):
        for check_id, check in CHECKS.items():
            passed, detail = check(case, policy)
            rows.append(
                (case.data_asset["data_asset_id"], case.certificate_no or "", check_id, passed, detail)
            )
    return pd.DataFrame(rows, columns=VERIFICATION_COLUMNS).astype({"passed": bool})


def build_cases(
    data_assets: pd.DataFrame,
    obligors: pd.DataFrame,
    assets: pd.DataFrame,
    evidence: Mapping[str, RegistryEvidence],
    *,
    as_of: date,
    package_root: Path,
    pledgee: str | None = None,
) -> list[Case]:
    """One case per data asset, joining the holder, the pledging loans and their borrowers, and the registry."""
    by_obligor = {row["obligor_id"]: row for row in _records(obligors)}
    loans = _records(assets)
    cases = []
    for row in _records(data_assets):
        pledging = [loan for loan in loans if _value(loan.get("data_asset_id")) == row["data_asset_id"]]
        digest, problem = evidence_hash(package_root, _value(row.get("evidence_file")))
        cases.append(
            Case(
                data_asset=row,
                holder=by_obligor.get(
                    row["holder_obligor_id"], {"obligor_id": row["holder_obligor_id"], "uscc": None}
                ),
                loans=pledging,
                borrowers={loan["obligor_id"]: by_obligor.get(loan["obligor_id"], {}) for loan in pledging},
                evidence=evidence.get(_value(row.get("certificate_no")) or ""),
                evidence_sha256=digest,
                evidence_problem=problem,
                as_of=as_of,
                pledgee=pledgee,
            )
        )
    return cases


def evidence_hash(root: Path, relative: str | None) -> tuple[str | None, str | None]:
    """SHA-256 of a data asset's evidence file inside the package, or why it cannot be hashed."""
    if relative is None:
        return None, "the data-asset tape gives no evidence file"
    path, problems = inside_package(root.resolve(), relative, "evidence_file")
    if path is None:
        return None, problems[0].reason
    if not path.is_file():
        return None, f"evidence file {relative} not found in the package"
    return sha256_file(path), None


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as dicts."""
    return [dict(r) for r in frame.to_dict(orient="records")]


def _value(value: Any) -> Any:
    """A tape cell with blanks (None, NaN, NaT, empty text) as None."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _norm(code: Any) -> str | None:
    """A USCC normalised for comparison (trimmed, upper case)."""
    value = _value(code)
    return None if value is None else str(value).strip().upper()


def _date(value: Any) -> date:
    """A tape date as ``datetime.date`` (typed tapes hold dates; Timestamps and ISO text are accepted)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
