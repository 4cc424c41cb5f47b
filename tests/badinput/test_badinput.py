"""Bad deal packages and files: each ends in ``PackageInvalid`` naming the place, a non-zero exit without a
traceback from ``dataabs validate``, and an untouched ledger from ``dataabs run``.

The corpus lives in ``corpus.py`` (one function per case, the mutation readable as code); this module runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dataabs.errors import PackageInvalid, Problem
from dataabs.package import load_package
from tests.badinput.corpus import BAD, GOOD, Case, copy_demo

REPO = Path(__file__).resolve().parents[2]
CASES_BY_ID = {case.id: case for case in BAD}
CLI_SAMPLE = [
    "latin1_csv",
    "unterminated_quote",
    "zip_that_is_not_xlsx",
    "formula_cmd_calc",
    "dangling_asset_obligor",
    "february_30th",
    "unknown_deal_model",
    "tape_symlink_outside",
    "billion_laughs",
    "unsafe_python_tag",
    "duplicate_yaml_key",
    "deal_yaml_is_a_list",
    "deal_yaml_is_a_directory",
    "principal_before_interest",
    "truncated_parquet",
]
RUN_SAMPLE = ["formula_cmd_calc", "duplicate_yaml_key", "tape_dotdot", "unreachable_tranche"]


def test_corpus_has_at_least_60_distinct_cases() -> None:
    assert len(BAD) >= 60
    assert len(CASES_BY_ID) == len(BAD)


def matches(problem: Problem, case: Case) -> bool:
    """The problem is the one the case expects, at the place it expects."""
    return (
        case.reason.lower() in problem.reason.lower()
        and (case.file is None or problem.file.endswith(case.file))
        and (case.row is None or problem.row == case.row or (case.row == -1 and problem.row is not None))
        and (case.column is None or problem.column == case.column)
    )


def build(case_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the demo package with the case's mutation applied."""
    root = copy_demo(tmp_path / "deal")
    CASES_BY_ID[case_id].mutate(root, monkeypatch)
    return root


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_bad_input_is_refused_naming_the_place(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = build(case.id, tmp_path, monkeypatch)
    with pytest.raises(PackageInvalid) as info:
        load_package(root)
    problems = info.value.problems
    assert problems, "PackageInvalid without problems"
    assert any(matches(p, case) for p in problems), "\n".join(str(p) for p in problems)
    message = str(info.value)
    assert "Traceback" not in message and str(root) in message


@pytest.mark.parametrize("name", [name for name, _ in GOOD])
def test_good_variants_load(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_demo(tmp_path / "deal")
    dict(GOOD)[name](root, monkeypatch)
    reference = load_package(REPO / "config" / "deals" / "demo")
    package = load_package(root)
    for tape in ("obligors", "assets", "schedules", "data_assets"):
        assert package.tapes[tape].astype(str).equals(reference.tapes[tape].astype(str)), tape


def cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run ``dataabs`` in a subprocess with its data under ``home`` and no external database or Prefect."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATAABS_DATABASE_URL", "PREFECT_API_URL")}
    env.update(DATAABS_HOME=str(home), DATAABS_OUT_DIR=str(home / "out"), PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "dataabs_cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=False,
    )


def _monkeypatched(case_id: str) -> bool:
    return CASES_BY_ID[case_id].cls == "size"


def test_cli_validate_exits_2_without_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    roots = []
    for n, case_id in enumerate(CLI_SAMPLE):
        assert not _monkeypatched(case_id)
        roots.append(build(case_id, tmp_path / f"c{n}", monkeypatch))
    # one process validates every sample (the import cost of the CLI is paid once)
    script = (
        "import sys\nfrom typer.testing import CliRunner\nfrom dataabs_cli.main import app\n"
        "for root in sys.argv[1:]:\n"
        "    r = CliRunner().invoke(app, ['validate', root])\n"
        "    print(f'@@{r.exit_code}@@{root}@@{(r.stderr or r.output)!r}')\n"
    )
    first = cli("validate", str(roots[0]), home=tmp_path / "home")
    assert first.returncode == 2, first.stdout + first.stderr
    assert "Traceback" not in first.stdout + first.stderr
    assert "obligors.csv" in first.stderr.replace("\n", "")  # rich wraps long paths at 80 columns
    env = {k: v for k, v in os.environ.items() if k not in ("DATAABS_DATABASE_URL", "PREFECT_API_URL")}
    env["DATAABS_HOME"] = str(tmp_path / "home")
    out = subprocess.run(
        [sys.executable, "-c", script, *map(str, roots[1:])],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=True,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("@@")]
    assert len(lines) == len(roots) - 1
    for line in lines:
        _, code, _root, text = line.split("@@", 3)
        assert code == "2", line
        flat = text.replace("\\n", "")
        assert "Traceback" not in flat and "is invalid" in flat, line


def test_cli_validate_of_the_demo_exits_0(tmp_path: Path) -> None:
    result = cli("validate", str(REPO / "config" / "deals" / "demo"), home=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("case_id", RUN_SAMPLE)
def test_cli_run_of_a_bad_package_exits_fast_and_leaves_the_ledger_alone(
    case_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    root = build(case_id, tmp_path, monkeypatch)
    home = tmp_path / "home"
    started = time.monotonic()
    result = cli("run", str(root), home=home)
    elapsed = time.monotonic() - started
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "is invalid" in result.stderr.replace("\n", "")
    assert elapsed < 20, f"bad package took {elapsed:.1f}s: did a Prefect server start?"
    assert "sandbox" not in result.stdout
    ledgers = [p for p in home.rglob("*.db")] if home.exists() else []
    for ledger in ledgers:
        import sqlite3

        with sqlite3.connect(ledger) as db:
            tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
            for table in tables:
                if "deal" in table:
                    assert db.execute(f'select count(*) from "{table}"').fetchone()[0] == 0, table
    assert not (home / "out").exists() or not any((home / "out").iterdir())
