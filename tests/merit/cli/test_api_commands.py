"""`merit api serve` and `merit index run`: they start from the same settings, and expected
failures are one line on stderr with a non-zero exit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
from typer.testing import CliRunner

from merit.cli import app
from tests.api.fakes import write_deployment
from tests.helpers import REPO_ROOT

REPO = REPO_ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_api_serve_answers_openapi_and_docs(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "MERIT_API_DATABASE_URL": f"sqlite:///{tmp_path / 'api.db'}",
        "MERIT_ARTIFACTS_PATH": str(tmp_path / "artifacts"),
    }
    server = subprocess.Popen(
        [sys.executable, "-c", "from merit.cli import main; main()", "api", "serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                spec = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2).json()
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "the API did not start"
                time.sleep(0.2)
        assert spec["info"]["title"] == "OpenMerit API" and "/contributions" in spec["paths"]
        assert "swagger" in httpx.get(f"http://127.0.0.1:{port}/docs").text.lower()
        assert httpx.get(f"http://127.0.0.1:{port}/ready").json()["schema_revision"] == "0003"
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert (tmp_path / "api.db").exists()


def test_bad_settings_are_one_line_errors(monkeypatch):
    monkeypatch.setenv("MERIT_API_WRITE_RATE_LIMIT", "lots")
    for command in (["api", "serve"], ["index", "run", "--once"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2, result.output
        assert "write_rate_limit" in result.stderr and "not a rate limit" in result.stderr
        assert "Traceback" not in result.output + result.stderr


def test_index_run_without_a_manifest_or_a_node(monkeypatch, tmp_path):
    monkeypatch.setenv("MERIT_API_DEPLOYMENT", str(tmp_path / "none.json"))
    result = CliRunner().invoke(app, ["index", "run", "--once"])
    assert result.exit_code == 3 and "no deployment manifest" in result.stderr
    manifest = tmp_path / "development.json"
    write_deployment(manifest)
    monkeypatch.setenv("MERIT_API_DEPLOYMENT", str(manifest))
    monkeypatch.setenv("MERIT_API_RPC_URL", "http://127.0.0.1:9")
    result = CliRunner().invoke(app, ["index", "run", "--once"])
    assert result.exit_code == 4 and "cannot reach the node" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_api_serve_with_the_indexer_needs_a_manifest(monkeypatch, tmp_path):
    monkeypatch.setenv("MERIT_API_DEPLOYMENT", str(tmp_path / "none.json"))
    result = CliRunner().invoke(app, ["api", "serve", "--index"])
    assert result.exit_code == 3 and "no deployment manifest" in result.stderr
