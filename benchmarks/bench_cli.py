"""The `merit` command's start-up, measured in the same run as its framework:

- `merit --help` against `python -c "import typer"` (target: at most 2x), beside a one-command typer
  app's `--help` (what typer's own rich help costs, whatever the commands), and a few sub-commands'
  `--help`;
- chain commands (`merit accounts show --json`, `merit status --json`) against a local JSON-RPC
  endpoint that answers canned values after a fixed delay (a node's round trip): the command's time,
  the time the endpoint spent on its requests, and the overhead, one less the other (target: at
  most 1 s over the RPC time).

Every figure is the best of N runs of a fresh interpreter (PYTHONPATH set to this tree), the
commands interleaved so a busy moment of a shared machine hits them alike; one untimed run of each
comes first (it writes the bytecode caches an installed package has). With MERIT_BASELINE_TREE set
to another source tree of OpenMerit (a checkout of an earlier commit), its `merit` runs in the same
rounds and its figures are printed beside. Ratios are printed, never asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROUNDS = int(os.environ.get("MERIT_BENCH_CLI_ROUNDS", "5"))
RPC_DELAY_SECONDS = 0.02  # each request's answer waits this long, as a nearby node's would
CHAIN_ID = 31337
ACCOUNT = "0x" + "11" * 20
THIS_TREE = Path(__file__).resolve().parents[1]
_WORKDIR: list[str] = [tempfile.gettempdir()]  # main() makes an empty one
MERIT = "import sys; from merit.cli import main; sys.argv[0] = 'merit'; main()"
TYPER_APP = (
    "import typer\n"
    "app = typer.Typer(add_completion=False)\n"
    "@app.command()\n"
    "def hello(name: str = typer.Option('world', help='who')) -> None:\n"
    "    '''Say hello.'''\n"
    "app()\n"
)


class _Rpc(BaseHTTPRequestHandler):
    """JSON-RPC with canned answers: the contracts' reads return a zero word, the logs nothing."""

    server: _RpcServer

    def do_POST(self) -> None:
        started = time.perf_counter()
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        batch = body if isinstance(body, list) else [body]
        time.sleep(RPC_DELAY_SECONDS)
        answers = [{"jsonrpc": "2.0", "id": r.get("id"), "result": _answer(r["method"])} for r in batch]
        data = json.dumps(answers if isinstance(body, list) else answers[0]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with self.server.lock:
            self.server.requests += len(batch)
            self.server.seconds += time.perf_counter() - started

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _answer(method: str) -> Any:
    zero_word = "0x" + "00" * 32
    block = {
        "number": "0x10",
        "hash": "0x" + "ab" * 32,
        "parentHash": "0x" + "cd" * 32,
        "timestamp": hex(1_700_000_000),
        "gasLimit": "0x1c9c380",
        "gasUsed": "0x0",
        "baseFeePerGas": "0x1",
        "miner": "0x" + "00" * 20,
        "difficulty": "0x0",
        "extraData": "0x",
        "logsBloom": "0x" + "00" * 256,
        "nonce": "0x0000000000000000",
        "sha3Uncles": "0x" + "00" * 32,
        "stateRoot": "0x" + "00" * 32,
        "transactionsRoot": "0x" + "00" * 32,
        "receiptsRoot": "0x" + "00" * 32,
        "size": "0x200",
        "totalDifficulty": "0x0",
        "mixHash": "0x" + "00" * 32,
        "transactions": [],
        "uncles": [],
    }
    return {
        "eth_chainId": hex(CHAIN_ID),
        "net_version": str(CHAIN_ID),
        "eth_blockNumber": "0x10",
        "eth_getBalance": "0x0",
        "eth_getCode": "0x00",
        "eth_getLogs": [],
        "eth_getBlockByNumber": block,
        "eth_call": zero_word,
    }.get(method, zero_word)


class _RpcServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Rpc)
        self.lock = threading.Lock()
        self.requests = 0
        self.seconds = 0.0

    def taken(self) -> tuple[int, float]:
        """(requests, seconds spent answering them) since the last call."""
        with self.lock:
            figures = (self.requests, self.seconds)
            self.requests, self.seconds = 0, 0.0
        return figures


@contextmanager
def _endpoint() -> Iterator[tuple[_RpcServer, Path]]:
    """The JSON-RPC endpoint and a deployment manifest naming its chain."""
    server = _RpcServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    artifacts = {
        "token": "MeritToken",
        "governor": "MeritGovernor",
        "timelock": "MeritTimelock",
        "registry": "ContributionRegistry",
        "distributor": "RewardDistributor",
    }
    manifest = {
        "network": "bench",
        "chain_id": CHAIN_ID,
        "deployer": "0x" + "22" * 20,
        "live": False,
        "complete": True,
        "contracts": {
            key: {
                "artifact": artifact,
                "address": "0x" + f"{n + 1:02x}" * 20,
                "block_number": 1,
                "tx_hash": "0x" + "00" * 32,
                "constructor_args": [],
            }
            for n, (key, artifact) in enumerate(artifacts.items())
        },
        "config": {},
    }
    with tempfile.TemporaryDirectory(prefix="merit-bench-cli-") as folder:
        path = Path(folder) / "deployment.json"
        path.write_text(json.dumps(manifest))
        try:
            yield server, path
        finally:
            server.shutdown()
            server.server_close()


def _environment(tree: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MERIT_")}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package runs from its bytecode
    environment["PYTHONPATH"] = os.pathsep.join([str(tree), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    environment["MERIT_PROFILE"] = "none"  # the same state whatever profile this machine holds
    environment["COLUMNS"] = "100"
    return {**environment, **(extra or {})}


def _run(argv: list[str], environment: dict[str, str]) -> float:
    """Seconds `argv` took; it runs in an empty folder, so that `python -c` (whose sys.path starts
    with the current folder) imports the tree PYTHONPATH names, not one it happens to stand in."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=environment, cwd=_WORKDIR[0], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[2:]) or argv} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return seconds


def _merit(*args: str) -> list[str]:
    return [sys.executable, "-c", MERIT, *args]


def _trees(baseline: Path | None) -> dict[str, Path]:
    """The trees measured, by the suffix their figures are printed with."""
    return {"": THIS_TREE, **({f" (baseline {baseline})": baseline} if baseline else {})}


def bench_start_up(baseline: Path | None) -> None:
    cases: dict[str, tuple[list[str], Path]] = {
        'python -c "import typer"': ([sys.executable, "-c", "import typer"], THIS_TREE),
        "a one-command typer app --help": ([sys.executable, "-c", TYPER_APP, "--help"], THIS_TREE),
    }
    for suffix, tree in _trees(baseline).items():
        for args in (["--help"], ["oracle", "--help"], ["verify", "--help"], ["accounts", "--help"]):
            cases[f"merit {' '.join(args)}{suffix}"] = (_merit(*args), tree)
    best = {name: float("inf") for name in cases}
    for warm_up in (True, *([False] * ROUNDS)):
        for name, (argv, tree) in cases.items():
            seconds = _run(argv, _environment(tree))
            if not warm_up:
                best[name] = min(best[name], seconds)
    typer_seconds = best['python -c "import typer"']
    for name, seconds in best.items():
        ratio = seconds / typer_seconds
        target = " (target <= 2x)" if name == "merit --help" else ""
        print(f"{name}: {seconds:.3f}s, {ratio:.2f}x the typer import{target}", flush=True)


def bench_chain_commands(baseline: Path | None) -> None:
    with _endpoint() as (server, manifest):
        rpc = {"MERIT_RPC_URL": f"http://127.0.0.1:{server.server_port}", "MERIT_DEPLOYMENT": str(manifest)}
        cases: dict[str, tuple[list[str], Path]] = {}
        for suffix, tree in _trees(baseline).items():
            cases[f"merit accounts show ADDRESS --json{suffix}"] = (_merit("accounts", "show", ACCOUNT, "--json"), tree)
            cases[f"merit status --json{suffix}"] = (_merit("status", "--json"), tree)
        best: dict[str, tuple[float, float, int]] = {}
        for warm_up in (True, *([False] * ROUNDS)):
            for name, (argv, tree) in cases.items():
                server.taken()
                seconds = _run(argv, _environment(tree, rpc))
                requests, rpc_seconds = server.taken()
                if not warm_up and (name not in best or seconds - rpc_seconds < best[name][0] - best[name][1]):
                    best[name] = (seconds, rpc_seconds, requests)
    for name, (seconds, rpc_seconds, requests) in best.items():
        print(
            f"{name}: {seconds:.3f}s, of which {requests} JSON-RPC requests {rpc_seconds:.3f}s "
            f"({RPC_DELAY_SECONDS * 1000:.0f} ms each); overhead {seconds - rpc_seconds:.3f}s (target <= 1 s)",
            flush=True,
        )


def main() -> None:
    baseline_tree = os.environ.get("MERIT_BASELINE_TREE")
    baseline = Path(baseline_tree).resolve() if baseline_tree else None
    print(f"best of {ROUNDS} fresh interpreters each, interleaved ({sys.executable})", flush=True)
    with tempfile.TemporaryDirectory(prefix="merit-bench-cwd-") as workdir:
        _WORKDIR[0] = workdir
        bench_start_up(baseline)
        bench_chain_commands(baseline)


if __name__ == "__main__":
    main()
