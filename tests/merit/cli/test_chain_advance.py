"""`merit chain advance` on the test anvil, and its refusals: a chain whose id is not a local
development chain's, a node that does not answer evm_increaseTime, an unreachable node."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from brownie import web3
from typer.testing import CliRunner

from merit.cli import app
from tests.helpers import free_port

pytestmark = pytest.mark.usefixtures("isolation")  # a snapshot around every test


class FakeNode:
    """A JSON-RPC endpoint on loopback that answers eth_chainId with `chain_id` and "method not
    found" to everything else, and records which methods it was asked."""

    def __init__(self, chain_id: int) -> None:
        self.methods: list[str] = []
        node = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers["content-length"])))
                node.methods.append(request["method"])
                if request["method"] == "eth_chainId":
                    answer = {"result": hex(chain_id)}
                else:
                    answer = {"error": {"code": -32601, "message": "Method not found"}}
                body = json.dumps({"jsonrpc": "2.0", "id": request["id"], **answer}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeNode:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def merit(monkeypatch):
    def run(*args: object, rpc_url: str | None = None, code: int = 0):
        monkeypatch.setenv("MERIT_RPC_URL", rpc_url or web3.provider.endpoint_uri)
        monkeypatch.setenv("MERIT_RPC_TIMEOUT_SECONDS", "5")
        result = CliRunner().invoke(app, ["chain", *[str(a) for a in args]])
        assert result.exit_code == code, (args, result.output, result.exception)
        return result

    return run


def one_error_line(result) -> str:
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


def latest() -> tuple[int, int]:
    block = web3.eth.get_block("latest")
    return int(block["number"]), int(block["timestamp"])


def test_seconds_stamp_the_next_block_that_many_seconds_after_the_latest(merit):
    number, timestamp = latest()
    result = json.loads(merit("advance", "--seconds", 3600, "--json").stdout)
    assert latest() == (number + 1, timestamp + 3600)
    assert result["seconds"] == 3600 and result["blocks"] == 1 and result["chain_id"] == web3.eth.chain_id


def test_blocks_mine_that_many_blocks(merit):
    number, timestamp = latest()
    merit("advance", "--blocks", 7)
    assert latest()[0] == number + 7
    assert latest()[1] >= timestamp


def test_seconds_and_blocks_together(merit):
    number, timestamp = latest()
    printed = merit("advance", "--seconds", 600, "--blocks", 3).stdout
    after_number, after_timestamp = latest()
    assert after_number == number + 3
    assert after_timestamp >= timestamp + 600
    assert f"block {number} -> {after_number} (+3)" in printed


def test_nothing_to_do_is_bad_input(merit):
    assert "give --seconds N, --blocks N or both" in one_error_line(merit("advance", code=2))


@pytest.mark.parametrize("chain_id", [1, 11155111, 84532])
def test_refused_on_a_chain_that_is_not_a_local_development_chain(merit, chain_id):
    with FakeNode(chain_id) as node:
        line = one_error_line(merit("advance", "--seconds", 60, rpc_url=node.url, code=2))
    assert f"chain id {chain_id} is not a local development chain" in line
    assert node.methods == ["eth_chainId"]  # refused before anything that could move a chain was asked


def test_refused_on_a_local_chain_id_whose_node_does_not_move_its_clock(merit):
    with FakeNode(31337) as node:
        line = one_error_line(merit("advance", "--blocks", 1, rpc_url=node.url, code=2))
    assert "does not answer evm_increaseTime" in line
    assert "evm_mine" not in node.methods and "hardhat_mine" not in node.methods


def test_an_unreachable_node_is_exit_4_in_one_line(merit):
    url = f"http://127.0.0.1:{free_port()}"
    line = one_error_line(merit("advance", "--seconds", 1, rpc_url=url, code=4))
    assert line == f"error: cannot reach the chain at {url}"
