"""Every `merit` command's failures against the README's exit codes (0 done; 1 failed; 2 bad
input or configuration; 3 not found; 4 the chain, the API or the store unreachable): each command
runs against a node and an API nobody listens on, and with bad input, and must answer with its
code, one `error:` line and no traceback. The commands are enumerated from the typer app, so a new
command fails `test_every_command_is_swept` until it has a case here."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from merit.cli import app
from tests.helpers import free_port

ALICE_KEY = "0x" + "11" * 32
ADDRESS = "0x" + "ab" * 20

# Commands that never talk to a node, an API or a store, with why; their input errors are
# covered by their own tests (tests/merit/cli/test_*_commands.py).
NO_NETWORK = {
    "accounts create": "writes a keystore file only",
    "accounts import": "writes a keystore file only",
    "accounts list": "reads the keystore folder only",
    "tree build": "a file in, a file out",
    "tree proof": "a file in, a proof out",
    "labels aggregate": "a file in, a summary out",
    "predictions score": "files in, a score out",
    "artifacts cid": "hashes a file, stores nothing",
    "artifacts gc": "the embedded store only (an IPFS node runs its own gc)",
    "demo": "starts its own anvil and API on free ports (tests/merit/demo)",
    "api serve": "serves until stopped; its start-up refusal is in test_a_missing_deployment_manifest_is_not_found",
}


def command_paths() -> list[str]:
    def walk(command, path):
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path)

    return sorted(walk(typer.main.get_command(app), []))


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A deployment manifest, a keystore `alice`, input files, and a node, an API and an IPFS
    node that nobody answers on."""
    from dao import keystore

    rpc, api, kubo = (f"http://127.0.0.1:{free_port()}" for _ in range(3))
    contracts = {
        key: {
            "artifact": artifact,
            "address": "0x" + f"{i + 1:02x}" * 20,
            "block_number": 1,
            "tx_hash": "0x" + "00" * 32,
            "constructor_args": [],
        }
        for i, (key, artifact) in enumerate(
            [
                ("token", "MeritToken"),
                ("governor", "MeritGovernor"),
                ("timelock", "MeritTimelock"),
                ("registry", "ContributionRegistry"),
                ("distributor", "RewardDistributor"),
            ]
        )
    }
    manifest = tmp_path / "deployment.json"
    manifest.write_text(
        json.dumps(
            {
                "network": "development",
                "chain_id": 31337,
                "deployer": ADDRESS,
                "live": False,
                "contracts": contracts,
                "config": {},
            }
        )
    )
    keystores = tmp_path / "keystores"
    keystore.save(keystores, "alice", ALICE_KEY, "pw")
    (tmp_path / "predictions.csv").write_text("id,prediction\n1,0\n")
    (tmp_path / "slice.csv").write_text("id,answer\n1,0\n")
    (tmp_path / "bench.csv").write_text("id\n1\n")
    oracle_config = tmp_path / "oracle.json"
    oracle_config.write_text(
        json.dumps(
            {
                "rpc_url": rpc,
                "rpc_retry_seconds": 1,
                "deployment": str(manifest),
                "database_url": f"sqlite:///{tmp_path / 'journal.db'}",
                "project": {
                    "project_id": 1,
                    "name": "p",
                    "budget_wei": 1,
                    "parameters": {"task": "classification", "metric": "accuracy"},
                },
                "artifacts": {"path": str(tmp_path / "store")},
            }
        )
    )
    for name, value in {
        "MERIT_RPC_URL": rpc,
        "MERIT_RPC_TIMEOUT_SECONDS": "2",
        "MERIT_API_URL": api,
        "MERIT_DEPLOYMENT": str(manifest),
        "MERIT_KEYSTORE_DIR": str(keystores),
        "MERIT_KEYSTORE_PASSWORD": "pw",
        "MERIT_API_RPC_URL": rpc,
        "MERIT_API_DEPLOYMENT": str(manifest),
        "MERIT_API_DATABASE_URL": f"sqlite:///{tmp_path / 'api.db'}",
        "MERIT_ARTIFACTS_PATH": str(tmp_path / "store"),
        "SEPOLIA_RPC_URL": rpc,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    car = tmp_path / "sample.car"
    added = CliRunner().invoke(app, ["artifacts", "add", str(tmp_path / "bench.csv"), "--store", "car-store", "--json"])
    cid = json.loads(added.stdout)["cid"]
    CliRunner().invoke(app, ["artifacts", "export", cid, "-o", str(car), "--store", "car-store"])
    assert car.is_file()
    return {"dir": tmp_path, "rpc": rpc, "api": api, "kubo": kubo, "oracle": str(oracle_config), "car": str(car)}


# command: its arguments against the unreachable world, and the code it must exit with
UNREACHABLE: dict[str, tuple[list[str], int]] = {
    "deploy": (["--network", "sepolia", "--config", "{dir}/predictions.csv"], 4),
    "status": ([], 4),
    "verify": (["0", "--project", "1"], 4),
    "submit": (["{dir}/predictions.csv", "-p", "1", "-k", "model_predictions", "-a", "alice"], 4),
    "reveal": (["-a", "alice"], 4),
    "contributions": ([ADDRESS], 4),
    "rewards": ([ADDRESS], 4),
    "claim": (["-a", "alice"], 4),
    "delegate": (["-a", "alice"], 4),
    "proposals": ([], 4),
    "vote": (["1", "for", "-a", "alice"], 4),
    "queue": (["1", "-a", "alice"], 4),
    "execute": (["1", "-a", "alice"], 4),
    "accounts show": (["alice"], 4),
    "accounts fund": (["alice"], 4),
    "project register": (
        ["--name", "p", "--task", "classification", "--metric", "accuracy", "--benchmark", "{dir}/bench.csv"]
        + ["--slice", "{dir}/slice.csv", "-a", "alice"],
        4,
    ),
    "project list": ([], 4),
    "artifacts add": (["{dir}/predictions.csv", "--kubo", "{kubo}"], 4),
    "artifacts get": (
        ["bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "-o", "out", "--kubo", "{kubo}"],
        4,
    ),
    "artifacts stat": (["bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "--kubo", "{kubo}"], 4),
    "artifacts pin": (["bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "--kubo", "{kubo}"], 4),
    "artifacts unpin": (["bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "--kubo", "{kubo}"], 4),
    "artifacts export": (
        ["bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "-o", "out", "--kubo", "{kubo}"],
        4,
    ),
    "artifacts import": (["{car}", "--kubo", "{kubo}"], 4),
    "index run": (["--once"], 4),
    "oracle run": (["--config", "{oracle}"], 4),
    "oracle close-epoch": (["0", "--config", "{oracle}"], 4),
    "oracle status": (["--config", "{oracle}"], 0),  # the journal only: an empty one is no error
    "oracle verify": (  # not in the local store, and the API it would be fetched through does not answer
        ["0", "--config", "{oracle}", "--report-cid", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"],
        4,
    ),
    "chain advance": (["--seconds", "5"], 4),
    "oracle init": (["--project", "1", "--slices", "{dir}/slice.csv", "--budget", "100", "-o", "{dir}/init.json"], 4),
}


def run(world, path: str, args: list[str]):
    filled = [a.format(**world) for a in args]
    return CliRunner().invoke(app, [*path.split(), *filled])


def one_error_line(result) -> str:
    assert "Traceback" not in result.output, result.output
    # the oracle's and the indexer's JSON log lines share stderr by design; the error is the one other line
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith('{"time"')]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_every_command_is_swept():
    assert set(command_paths()) == set(UNREACHABLE) | set(NO_NETWORK)


def check(result, code: int) -> None:
    assert result.exit_code == code, (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if code:
        one_error_line(result)


@pytest.mark.parametrize("path", sorted(UNREACHABLE))
def test_unreachable(world, path):
    args, code = UNREACHABLE[path]
    check(run(world, path, args), code)


# Bad input (2) and names that do not exist (3), caught before anything is sent.
BAD_INPUT: list[tuple[str, list[str], int]] = [
    ("vote", ["1", "maybe", "-a", "alice"], 2),
    ("vote", ["one", "for", "-a", "alice"], 2),
    ("queue", ["0xzz", "-a", "alice"], 2),
    ("execute", ["one", "-a", "alice"], 2),
    ("delegate", ["not-an-address", "-a", "alice"], 2),
    ("submit", ["{dir}/predictions.csv", "-p", "1", "-k", "poems", "-a", "alice"], 2),
    ("rewards", ["0x12"], 2),
    ("accounts show", ["nobody"], 3),
    ("vote", ["1", "for", "-a", "nobody"], 3),
    ("artifacts get", ["not-a-cid", "-o", "out"], 2),
    ("artifacts stat", ["bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "--no-fetch"], 3),
    ("artifacts add", ["{dir}/absent.csv"], 3),
    ("oracle verify", ["0", "--config", "{oracle}"], 3),
    ("oracle status", ["--config", "{dir}/absent.json"], 2),
]


@pytest.mark.parametrize(("path", "args", "code"), BAD_INPUT, ids=[f"{p} {' '.join(a)}" for p, a, _ in BAD_INPUT])
def test_bad_input(world, path, args, code):
    check(run(world, path, args), code)


@pytest.mark.parametrize("command", ["status", "verify 0"])
def test_a_journal_that_is_not_a_database_is_one_line_naming_it(world, command):
    journal = world["dir"] / "journal.db"
    journal.write_bytes(b"this is not a SQLite database, it is a note" * 100)
    result = run(world, f"oracle {command}", ["--config", "{oracle}"])
    check(result, 2)
    assert str(journal) in result.stderr


def test_a_journal_of_another_schema_is_one_line_naming_it(world):
    import sqlite3

    journal = world["dir"] / "journal.db"
    with sqlite3.connect(journal) as db:
        db.execute("CREATE TABLE oracle_epochs (chain_id INTEGER, something_else TEXT)")
    result = run(world, "oracle status", ["--config", "{oracle}"])
    check(result, 2)
    assert str(journal) in result.stderr and "another schema" in result.stderr


def test_a_missing_deployment_manifest_is_not_found(world, monkeypatch):
    monkeypatch.setenv("MERIT_DEPLOYMENT", str(world["dir"] / "absent.json"))
    monkeypatch.setenv("MERIT_API_DEPLOYMENT", str(world["dir"] / "absent.json"))
    for path in ("status", "proposals", "project list", "index run --once", "api serve --index"):
        check(run(world, path, []), 3)
