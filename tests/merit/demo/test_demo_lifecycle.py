"""`merit demo` as a process: it refuses a port that something already listens on, and whatever it
started (its anvil, its API) is gone once SIGTERM has stopped it. No test here races a timer:
each waits for a line of output or a process state, with a deadline."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from typer.testing import CliRunner
from web3 import HTTPProvider, Web3

from merit.cli import app
from merit.cli.demo import Interrupted, port_taken, stop_on_signals
from oracle.settings import load_settings
from tests.helpers import REPO_ROOT, free_port


@pytest.fixture
def listening() -> Iterator[int]:
    """A port that something listens on (and never answers)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


@pytest.mark.parametrize("option", ["--port", "--api-port"])
def test_the_demo_refuses_a_port_something_already_listens_on(listening, option):
    ports = {"--port": free_port(), "--api-port": free_port()}
    ports[option] = listening
    result = CliRunner().invoke(app, ["demo", *[str(x) for pair in ports.items() for x in pair]])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"error: something already listens on 127.0.0.1:{listening}")
    assert option in lines[0]


def test_sigterm_raises_interrupted_inside_the_demo_and_the_handlers_come_back():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as raised, stop_on_signals():
        os.kill(os.getpid(), signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the handler runs at the next bytecode boundary
            time.sleep(0.01)
    assert raised.value.signal_name == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) == before


class Demo:
    """`merit demo` in a child process, its output read line by line in a thread."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from merit.cli import main; main()", "demo", *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for_line(self, prefix: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line {prefix!r} within {timeout:.0f} s:\n{''.join(self.output)}") from None
            if line is None:
                raise AssertionError(f"the demo ended before {prefix!r}:\n{''.join(self.output)}")
            self.output.append(line)
            if line.startswith(prefix):
                return

    def rest(self) -> str:
        while (line := self.lines.get(timeout=30)) is not None:
            self.output.append(line)
        return "".join(self.output)


def test_sigterm_stops_a_kept_running_demo_its_anvil_and_its_api(tmp_path: Path):
    port, api_port = free_port(), free_port()
    profile = tmp_path / "profile.json"
    env = {
        **os.environ,
        "MERIT_DEPLOYMENT": str(tmp_path / "development.json"),
        "MERIT_PROFILE": str(profile),
        "COLUMNS": "400",
    }
    demo = Demo("--keep-running", "--port", str(port), "--api-port", str(api_port), env=env)
    try:
        demo.wait_for_line("the chain and the API stay up", timeout=600)
        children = psutil.Process(demo.process.pid).children(recursive=True)
        assert any(child.name() == "anvil" for child in children)
        assert port_taken(port) and port_taken(api_port)

        # the chain it leaves up moves on its own: blocks come with nobody sending anything
        w3 = Web3(HTTPProvider(f"http://127.0.0.1:{port}"))
        first = w3.eth.block_number
        deadline = time.monotonic() + 30
        while w3.eth.block_number < first + 2:
            assert time.monotonic() < deadline, "the kept chain mined no blocks in 30 s"
            time.sleep(0.2)

        demo.process.send_signal(signal.SIGTERM)
        assert demo.process.wait(timeout=60) == 0
        output = demo.rest()
    finally:
        if demo.process.poll() is None:
            demo.process.kill()
    assert "stopped (SIGTERM): the API and the local chain are down." in output
    # the profile it leaves names its state; the oracle's settings file loads (dry: no key in it)
    assert f"state kept in {profile} " in output and "every merit command uses it" in output
    kept = json.loads(profile.read_text())
    assert kept["deployment"] == str(tmp_path / "development.json")
    assert kept["rpc_url"] == f"http://127.0.0.1:{port}" and kept["api_url"] == f"http://127.0.0.1:{api_port}"
    assert load_settings(Path(kept["oracle_settings"])).dry_run
    assert Path(kept["artifacts"]["path"]).is_dir()
    assert "Traceback" not in output
    _gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, alive
    assert not port_taken(port) and not port_taken(api_port)
