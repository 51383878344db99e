"""The profile (merit.profile): every command finds the state it names (journal, store, API), the
environment and options win over it, and an artifact the store lacks comes through the API only
when its bytes hash to the CID asked for."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dao.artifacts.embedded import EmbeddedStore
from dao.artifacts.store import compute_artifact_cid
from merit.cli import app
from merit.profile import ArtifactsProfile, Profile, applied, profile_path, write_path, write_profile
from oracle.state import Journal

runner = CliRunner()
RIGHT = b"id,label\n" + b"".join(b"q%d,y\n" % i for i in range(5000))
WRONG = b"id,label\nq0,n\n"


class FakeApi:
    """An HTTP server answering GET /artifacts/{cid} from a dict (right or wrong bytes, or 404)."""

    def __init__(self, bodies: dict[str, bytes]) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                cid = self.path.removeprefix("/artifacts/")
                body = bodies.get(cid)
                if body is None:
                    payload = json.dumps({"detail": f"artifact {cid} is not in the store"}).encode()
                    self.send_response(404)
                    self.send_header("content-type", "application/json")
                else:
                    payload = body
                    self.send_response(200)
                    self.send_header("content-type", "application/octet-stream")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api() -> Iterator[FakeApi]:
    right = compute_artifact_cid(RIGHT)
    swapped = compute_artifact_cid(b"what the CID commits to")
    server = FakeApi({right: RIGHT, swapped: WRONG})
    yield server
    server.close()


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A profile naming a store, a journal (through an oracle settings file) and a deployment in a
    folder of the test's own, as `merit demo` leaves them."""
    folder = tmp_path / "demo"
    folder.mkdir()
    journal = folder / "oracle.db"
    settings = folder / "oracle.json"
    settings.write_text(
        json.dumps({"database_url": f"sqlite:///{journal}", "artifacts": {"path": str(folder / "artifacts")}})
    )
    profile = write_profile(
        tmp_path / "profile.json",
        Profile(
            rpc_url="http://127.0.0.1:9",
            deployment=folder / "development.json",
            api_url="http://127.0.0.1:9",
            artifacts=ArtifactsProfile(backend="embedded", path=folder / "artifacts"),
            oracle_settings=settings,
            written_by="merit demo",
        ),
    )
    monkeypatch.setenv("MERIT_PROFILE", str(profile))
    for name in ("RPC_URL", "DEPLOYMENT", "API_URL", "ARTIFACTS_PATH", "ARTIFACTS_BACKEND"):
        monkeypatch.delenv(f"MERIT_{name}", raising=False)
    return {"folder": folder, "journal": journal, "settings": settings, "profile": profile}


def test_the_profile_fills_the_environment_where_nothing_is_set_and_leaves_it_as_it_was(
    state: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MERIT_RPC_URL", "http://chosen:8545")
    with applied() as found:
        assert found is not None and found[0] == state["profile"]
        assert os.environ["MERIT_RPC_URL"] == "http://chosen:8545"  # the environment wins
        assert os.environ["MERIT_API_URL"] == "http://127.0.0.1:9"
        assert os.environ["MERIT_ARTIFACTS_PATH"] == str(state["folder"] / "artifacts")
        assert os.environ["MERIT_ORACLE_CONFIG"] == str(state["settings"])
    assert "MERIT_API_URL" not in os.environ and "MERIT_ORACLE_CONFIG" not in os.environ


def test_where_the_profile_is(tmp_path: Path) -> None:
    nested = tmp_path / "repo" / "sub"
    nested.mkdir(parents=True)
    (tmp_path / "repo" / ".openmerit").mkdir()
    (tmp_path / "repo" / ".openmerit" / "profile.json").write_text("{}")
    assert profile_path({}, cwd=nested) == tmp_path / "repo" / ".openmerit" / "profile.json"
    assert profile_path({"MERIT_PROFILE": "none"}, cwd=nested) is None
    assert profile_path({"MERIT_PROFILE": str(tmp_path / "p.json")}, cwd=nested) == tmp_path / "p.json"
    assert write_path(tmp_path, {}) == tmp_path / ".openmerit" / "profile.json"
    assert write_path(tmp_path, {"MERIT_PROFILE": "none"}) is None


def test_oracle_status_reads_the_profiles_journal(state: dict[str, Path]) -> None:
    empty = runner.invoke(app, ["oracle", "status"])
    assert empty.exit_code == 0, empty.output
    assert f"sqlite:///{state['journal']}" in empty.stdout and str(state["settings"]) in empty.stdout
    journal = Journal(f"sqlite:///{state['journal']}")
    journal.open_epoch(31337, 0, project_id=1, from_block=10, to_block=20)
    journal.close()
    shown = runner.invoke(app, ["oracle", "status", "--json"])
    assert shown.exit_code == 0, shown.output
    row = json.loads(shown.stdout.splitlines()[0])
    assert (row["chain_id"], row["epoch"], row["project_id"], row["from_block"]) == (31337, 0, 1, 10)
    # an option still wins over the profile
    other = state["folder"] / "other.json"
    other.write_text(json.dumps({"database_url": f"sqlite:///{state['folder'] / 'other.db'}"}))
    assert "no epochs" in runner.invoke(app, ["oracle", "status", "--config", str(other)]).stdout


def test_artifacts_get_fetches_through_the_api_and_keeps_what_matches(
    state: dict[str, Path], api: FakeApi, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MERIT_API_URL", api.url)  # the environment over the profile's (dead) API
    cid = compute_artifact_cid(RIGHT)
    target = tmp_path / "out.csv"
    result = runner.invoke(app, ["artifacts", "get", cid, "-o", str(target), "--json"])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == RIGHT
    assert json.loads(result.stdout)["fetched_from"] == api.url
    assert f"fetched {cid} from the API at {api.url} (CID checked)" in result.stderr
    store = EmbeddedStore(state["folder"] / "artifacts")  # the profile's store keeps it, pinned
    assert store.get(cid) == RIGHT and store.is_pinned(cid)
    again = runner.invoke(app, ["artifacts", "get", cid, "-o", str(target)])
    assert again.exit_code == 0 and "fetched" not in again.stderr
    assert len(api.requests) == 1


def test_bytes_that_do_not_hash_to_the_cid_are_refused_and_nothing_is_kept(
    state: dict[str, Path], api: FakeApi, tmp_path: Path
) -> None:
    cid = compute_artifact_cid(b"what the CID commits to")
    target = tmp_path / "out.csv"
    result = runner.invoke(app, ["artifacts", "get", cid, "-o", str(target), "--api-url", api.url])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: the API at {api.url} sent bytes whose CID is {compute_artifact_cid(WRONG)}, not {cid}: "
        "refused, nothing stored"
    )
    assert not target.exists()
    assert not EmbeddedStore(state["folder"] / "artifacts").has(compute_artifact_cid(WRONG))


def test_an_artifact_nowhere_is_one_line_naming_the_api(state: dict[str, Path], api: FakeApi, tmp_path: Path) -> None:
    absent = compute_artifact_cid(b"nowhere")
    result = runner.invoke(app, ["artifacts", "get", absent, "-o", str(tmp_path / "x"), "--api-url", api.url])
    assert result.exit_code == 3  # not found, anywhere it was looked for
    assert result.stderr.strip() == f"error: artifact {absent} is not in the local store, nor at the API {api.url}"
    unfetched = runner.invoke(app, ["artifacts", "get", absent, "-o", str(tmp_path / "x"), "--no-fetch"])
    assert unfetched.exit_code == 3 and f"{absent} is not in the store" in unfetched.stderr
    dead = runner.invoke(app, ["artifacts", "get", absent, "-o", str(tmp_path / "x")])  # the profile's API is down
    assert dead.exit_code == 4 and "the API at http://127.0.0.1:9 cannot be reached" in dead.stderr


def test_status_says_where_the_state_is_even_when_the_chain_is_down(state: dict[str, Path]) -> None:
    result = runner.invoke(app, ["status"])
    assert result.exit_code in (3, 4)  # no deployment file, no node
    assert result.stdout.startswith(f"profile: state kept in {state['profile']}, written by merit demo;")


def test_a_broken_profile_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "profile.json"
    bad.write_text('{"rpc_url": 1, "colour": "red"}')
    monkeypatch.setenv("MERIT_PROFILE", str(bad))
    result = runner.invoke(app, ["oracle", "status"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: profile {bad}: ")
