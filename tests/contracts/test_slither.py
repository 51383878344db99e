"""tools/slither/check.py, the slither step of `make test`: a contract that lost its access check
fails it, the same contract with the check passes, and a triage entry without a reason is refused."""

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

ROOT = REPO_ROOT
SLITHER_PYTHON = ROOT / ".venv-slither" / "bin" / "python"
FIXTURES = Path(__file__).with_name("slither")

pytestmark = pytest.mark.skipif(not SLITHER_PYTHON.exists(), reason="the slither environment: run `make slither`")


def _check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SLITHER_PYTHON), str(ROOT / "tools" / "slither" / "check.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_missing_access_check_fails_the_slither_step():
    run = _check(str(FIXTURES / "UnguardedTreasury.sol"))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "UNTRIAGED: High arbitrary-send-eth in UnguardedTreasury.sweep" in run.stdout


def test_the_same_contract_with_its_access_check_passes():
    run = _check(str(FIXTURES / "GuardedTreasury.sol"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 untriaged and 0 triaged" in run.stdout


def test_a_triaged_finding_passes_only_with_its_reason(tmp_path):
    entry = {"check": "arbitrary-send-eth", "where": "UnguardedTreasury.sweep"}
    triage = tmp_path / "triage.json"
    triage.write_text(json.dumps({"triaged": [entry]}))
    assert _check(str(FIXTURES / "UnguardedTreasury.sol"), "--triage", str(triage)).returncode == 2

    triage.write_text(json.dumps({"triaged": [{**entry, "reason": "a fixture"}]}))
    run = _check(str(FIXTURES / "UnguardedTreasury.sol"), "--triage", str(triage))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "because: a fixture" in run.stdout
