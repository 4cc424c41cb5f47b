"""The sandbox service over loopback: registry endpoints, control plane, seed files and the published OpenAPI."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import yaml

from dataabs.errors import PackageInvalid
from dataabs.sandbox.app import OPENAPI_PATH, openapi_text
from dataabs.sandbox.seed import read_registry_seed
from dataabs.sandbox.server import load_seeds, running_sandbox
from tests.sandbox.sandbox_helpers import CERT, DEAL, TOKEN, arm, seed_json, seen

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_health_lists_the_deals(control: httpx.Client) -> None:
    assert control.get("/health").json() == {"status": "ok", "deals": [DEAL]}


def test_certificate_and_pledges_are_served(control: httpx.Client) -> None:
    body = control.get(f"/registry/v1/certificates/{CERT}", headers=AUTH).json()
    assert body["certificate"]["status"] == "active" and body["fetched_at"]
    pledges = control.get("/registry/v1/pledges", params={"certificate_no": CERT}, headers=AUTH).json()
    assert [p["rank"] for p in pledges["items"]] == [1]


def test_unknown_certificate_is_a_404_json_error(control: httpx.Client) -> None:
    response = control.get("/registry/v1/certificates/20250331010009999", headers=AUTH)
    assert response.status_code == 404
    assert response.json() == {"detail": "certificate 20250331010009999 is not registered"}


def test_registry_needs_the_token(control: httpx.Client) -> None:
    assert control.get(f"/registry/v1/certificates/{CERT}").status_code == 401


def test_a_fault_affects_count_requests_then_service_is_normal(control: httpx.Client) -> None:
    arm(control, "status", count=2, status=503)
    statuses = [control.get(f"/registry/v1/certificates/{CERT}", headers=AUTH).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert control.get("/_sandbox/faults").json() == {"faults": []}
    assert seen(control, f"/registry/v1/certificates/{CERT}") == 3


def test_fault_prefix_limits_the_paths_affected(control: httpx.Client) -> None:
    control.post(
        "/_sandbox/faults", json={"path_prefix": "/registry/v1/pledges", "mode": "status", "count": 1}
    )
    assert control.get(f"/registry/v1/certificates/{CERT}", headers=AUTH).status_code == 200
    assert (
        control.get("/registry/v1/pledges", params={"certificate_no": CERT}, headers=AUTH).status_code == 500
    )


def test_seed_replacement_plants_records(control: httpx.Client) -> None:
    seed = seed_json()
    seed["certificates"][0]["status"] = "revoked"
    seed["pledges"].append(
        {**seed["pledges"][0], "registration_no": "ZD2025062000009", "pledgee": "他行", "rank": 1}
    )
    seed["pledges"][0]["rank"] = 2
    summary = control.post("/_sandbox/seed", json={"deal_id": DEAL, "registry": seed}).json()
    assert summary == {"deal_id": DEAL, "certificates": 1, "pledges": 2}
    assert (
        control.get(f"/registry/v1/certificates/{CERT}", headers=AUTH).json()["certificate"]["status"]
        == "revoked"
    )
    items = control.get("/registry/v1/pledges", params={"certificate_no": CERT}, headers=AUTH).json()["items"]
    assert [(p["registration_no"], p["rank"]) for p in items] == [
        ("ZD2025062000009", 1),
        ("ZD2025063000001", 2),
    ]


def test_seed_clash_across_deals_is_refused(control: httpx.Client) -> None:
    response = control.post("/_sandbox/seed", json={"deal_id": "other-deal", "registry": seed_json()})
    assert response.status_code == 409
    assert "seeded by deals demo-deal and other-deal" in response.json()["detail"]


def test_seed_with_unknown_key_is_rejected(control: httpx.Client) -> None:
    seed = seed_json()
    seed["certificates"][0]["colour"] = "red"
    assert control.post("/_sandbox/seed", json={"deal_id": DEAL, "registry": seed}).status_code == 422


def test_sandbox_binds_loopback_on_a_free_port() -> None:
    with running_sandbox() as url:
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(url + "/health").json() == {"status": "ok", "deals": []}


def test_read_registry_seed_accepts_the_demo_shape(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(seed_json(), ensure_ascii=False), encoding="utf-8")
    seed, problems = read_registry_seed(path)
    assert problems == [] and seed is not None
    assert seed.certificates[0].rights == ["holding", "processing", "operation"]


def test_read_registry_seed_names_file_and_key_path(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    seed = seed_json()
    seed["certificates"][0]["status"] = "cancelled"
    seed["certificates"][0]["rights"] = ["holding", "selling"]
    del seed["pledges"][0]["rank"]
    path.write_text(json.dumps(seed), encoding="utf-8")
    _, problems = read_registry_seed(path)
    assert {p.column for p in problems} == {
        "certificates.0.status",
        "certificates.0.rights.1",
        "pledges.0.rank",
    }
    assert all(p.file == str(path) for p in problems)


def test_read_registry_seed_reports_bad_json_and_duplicates(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"certificates": [\n  {"certificate_no": }\n]}', encoding="utf-8")
    _, problems = read_registry_seed(broken)
    assert problems[0].row == 2 and "invalid JSON" in problems[0].reason
    doubled = tmp_path / "doubled.json"
    seed = seed_json()
    seed["certificates"].append(seed["certificates"][0])
    doubled.write_text(json.dumps(seed), encoding="utf-8")
    _, problems = read_registry_seed(doubled)
    assert "duplicate certificate_no '20250331010000012'" in problems[0].reason
    assert read_registry_seed(tmp_path / "missing.json")[1][0].reason == "file not found"


def test_load_seeds_reads_each_package(tmp_path: Path) -> None:
    (tmp_path / "registry").mkdir()
    (tmp_path / "registry" / "registry.json").write_text(json.dumps(seed_json()), encoding="utf-8")
    (tmp_path / "deal.yaml").write_text(yaml.safe_dump(_minimal_deal()), encoding="utf-8")
    seeds = load_seeds([tmp_path])
    assert list(seeds) == ["tiny-deal"] and seeds["tiny-deal"].certificates[0].certificate_no == CERT
    (tmp_path / "registry" / "registry.json").write_text("[]", encoding="utf-8")
    with pytest.raises(PackageInvalid, match="must be a JSON object"):
        load_seeds([tmp_path])


def test_published_openapi_is_current() -> None:
    assert OPENAPI_PATH.read_text(encoding="utf-8") == openapi_text(), "run python -m dataabs.sandbox.app"
    paths = json.loads(openapi_text())["paths"]
    assert {"/registry/v1/certificates/{certificate_no}", "/registry/v1/pledges", "/_sandbox/faults"} <= set(
        paths
    )


def _minimal_deal() -> dict[str, object]:
    """The smallest valid deal.yaml mapping."""
    step = {"id": "s1", "kind": "interest", "target": "a"}
    return {
        "deal_id": "tiny-deal",
        "name": "Tiny",
        "model": "data_pledged_loan",
        "dates": {
            "cut_off": "2025-06-30",
            "closing": "2025-07-28",
            "first_payment": "2025-10-26",
            "expected_maturity": "2027-07-26",
            "legal_maturity": "2028-07-26",
        },
        "payment_calendar": {"months": [1, 4, 7, 10], "day": 26},
        "parties": [{"id": "m", "role": "manager", "name": "Manager"}],
        "tranches": [{"id": "a", "name": "A", "kind": "senior", "seniority": 1, "size": 100}],
        "waterfall": {"normal": [dict(step)], "accelerated": [dict(step)]},
    }
