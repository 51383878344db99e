"""Fixtures of the artifact-store tests: stores in temporary folders, the JS reference importer,
and a real IPFS node (js-ipfs, offline, on free ports) for the kubo backend."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.helpers import REPO_ROOT, free_port

IPFS_NODE_DIR = REPO_ROOT / "tests" / "ipfs-node"
JSIPFS = IPFS_NODE_DIR / "node_modules" / ".bin" / "jsipfs"


def _answers(api_url: str) -> bool:
    request = urllib.request.Request(f"{api_url}/api/v0/version", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def ipfs_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A js-ipfs node started offline on free ports; yields its RPC URL and stops it after."""
    if not JSIPFS.exists() or shutil.which("node") is None:
        pytest.skip("js-ipfs is not installed: run `make tests/ipfs-node/node_modules/.installed` (make test does)")
    home = tmp_path_factory.mktemp("ipfs-node")
    api_port, gateway_port, rpc_port = free_port(), free_port(), free_port()
    config = {
        "Addresses": {
            "API": f"/ip4/127.0.0.1/tcp/{api_port}",
            "Gateway": f"/ip4/127.0.0.1/tcp/{gateway_port}",
            "RPC": f"/ip4/127.0.0.1/tcp/{rpc_port}",
            "Swarm": [],  # any swarm address makes the offline node hang
            "Delegates": [],
        },
        "Bootstrap": [],
        "Discovery": {"MDNS": {"Enabled": False}, "webRTCStar": {"Enabled": False}},
    }
    config_file = home / "init-config.json"
    config_file.write_text(json.dumps(config))
    log_file = home / "daemon.log"
    environment = {**os.environ, "IPFS_PATH": str(home / "repo")}
    with log_file.open("wb") as log:
        daemon = subprocess.Popen(
            [str(JSIPFS), "daemon", "--offline", "--enable-preload=false", "--init-config", str(config_file)],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so stopping it stops all of it
        )
    api_url = f"http://127.0.0.1:{api_port}"
    try:
        deadline = time.monotonic() + 90
        while not _answers(api_url):
            if daemon.poll() is not None:
                pytest.fail(f"js-ipfs exited with {daemon.returncode}:\n{log_file.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"js-ipfs did not answer within 90 s:\n{log_file.read_text()[-3000:]}")
            time.sleep(0.25)
        yield api_url
    finally:
        _stop(daemon)


def _stop(daemon: subprocess.Popen[bytes]) -> None:
    if daemon.poll() is not None:
        return
    try:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(daemon.pid, signal.SIGKILL)
        daemon.wait(timeout=15)
    except ProcessLookupError:
        pass
