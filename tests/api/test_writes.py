"""Artifact upload, the write rate limit, and the relay's signature check (which happens before
anything touches the chain)."""

from __future__ import annotations

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.main import create_app
from api.ratelimit import WriteLimiter
from api.settings import Settings
from dao import eip712
from tests.api.fakes import ADDRESSES, ALICE, table_snapshot

# anvil's well-known development keys (accounts 1 and 2): public test keys, never funded elsewhere
ALICE_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
BOB_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"
RELAYER_KEY = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"
CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"


def test_upload_returns_the_cid_and_the_bytes_come_back(client, store):
    body = b"id,label\n1,cat\n2,dog\n"
    response = client.post("/artifacts", content=body, headers={"content-type": "text/csv; charset=utf-8"})
    assert response.status_code == 201, response.text
    cid = response.json()["cid"]
    assert response.json()["size"] == len(body) and store.get(cid) == body
    assert client.get(f"/artifacts/{cid}").content == body
    again = client.post("/artifacts", content=body, headers={"content-type": "application/octet-stream"})
    assert again.json()["cid"] == cid  # content addressed: the same bytes, the same CID


def test_other_cid_spellings_reach_the_same_artifact(client, fake):
    import cid as py_cid

    v1 = py_cid.make_cid(fake.cids["a1"])
    base58 = v1.encode("base58btc").decode()
    assert client.get(f"/artifacts/{base58}").content == b"artifact a1"


def test_writes_are_rate_limited(settings, store, engine, fake):
    fake.write_deployment(settings.deployment)
    limited = settings.model_copy(update={"write_rate_limit": "2/minute"})
    with TestClient(create_app(limited, store=store, configure_logs=False)) as c:
        codes = [
            c.post("/artifacts", content=b"x%d" % i, headers={"content-type": "text/plain"}).status_code
            for i in range(3)
        ]
        assert codes == [201, 201, 429]
        refused = c.post("/artifacts", content=b"y", headers={"content-type": "text/plain"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert "too many writes" in refused.json()["detail"]
        assert c.get("/contributions").status_code == 200  # reads are not limited


def test_write_limiter_counts_per_client_and_says_how_long_to_wait():
    limiter = WriteLimiter("2/minute")
    assert [limiter.acquire("a"), limiter.acquire("a")] == [0.0, 0.0]
    wait = limiter.acquire("a")
    assert 0 < wait <= 60
    assert limiter.acquire("b") == 0.0  # per client


def test_rate_limit_setting_is_validated():
    with pytest.raises(ValueError, match="not a rate limit"):
        Settings(write_rate_limit="lots")
    assert Settings(write_rate_limit="5/second").write_rate_limit == "5/second"


def test_settings_read_the_env_prefix(monkeypatch):
    monkeypatch.setenv("MERIT_API_DATABASE_URL", "sqlite:////tmp/elsewhere.db")
    monkeypatch.setenv("MERIT_API_PAGE_SIZE_MAX", "7")
    settings = Settings()
    assert settings.database_url == "sqlite:////tmp/elsewhere.db" and settings.page_size_max == 7
    assert settings.relayer_private_key is None  # no secret has a default


COMMITMENT = bytes.fromhex("ab" * 32)
SALT = bytes.fromhex("cd" * 32)


def _commit_body(
    key: str,
    *,
    contributor: str = ALICE,
    chain_id: int = 31337,
    registry: str = ADDRESSES["registry"],
    deadline: int = 4_000_000_000,
) -> dict:
    typed = eip712.commit(
        chain_id, registry, contributor=contributor, project_id=1, commitment=COMMITMENT, nonce=0, deadline=deadline
    )
    return {
        "contributor": contributor,
        "project_id": 1,
        "commitment": "0x" + COMMITMENT.hex(),
        "nonce": 0,
        "deadline": deadline,
        "signature": "0x" + eip712.sign(typed, key).hex(),
    }


def _reveal_body(
    key: str,
    *,
    contributor: str = ALICE,
    chain_id: int = 31337,
    registry: str = ADDRESSES["registry"],
    deadline: int = 4_000_000_000,
) -> dict:
    typed = eip712.reveal(
        chain_id,
        registry,
        contributor=contributor,
        contribution_id=6,
        kind=0,
        cid=CID,
        salt=SALT,
        nonce=0,
        deadline=deadline,
    )
    return {
        "contributor": contributor,
        "contribution_id": 6,
        "project_id": 1,
        "epoch": 2,
        "kind": "model_predictions",
        "cid": CID,
        "salt": "0x" + SALT.hex(),
        "nonce": 0,
        "deadline": deadline,
        "signature": "0x" + eip712.sign(typed, key).hex(),
    }


BODIES = {"/relay/commits": _commit_body, "/relay/reveals": _reveal_body}
TAMPERED = {
    "/relay/commits": {"project_id": 2, "commitment": "0x" + "ac" * 32, "nonce": 1, "deadline": 4_000_000_001},
    "/relay/reveals": {
        "contribution_id": 5,
        "kind": "labels",
        "cid": "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
        "salt": "0x" + "ce" * 32,
        "nonce": 1,
        "deadline": 4_000_000_001,
    },
}


@pytest.fixture
def relay_client(settings, store, engine, fake):
    """A relay with a key, pointed at a port where no node listens: any attempt to reach the chain
    would fail with a 5xx, so a 4xx proves the request was refused before anything was sent."""
    fake.write_deployment(settings.deployment)
    relaying = settings.model_copy(
        update={"relayer_private_key": SecretStr(RELAYER_KEY), "rpc_url": "http://127.0.0.1:9"}
    )
    with TestClient(create_app(relaying, store=store, configure_logs=False), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("path", sorted(BODIES))
def test_foreign_signatures_are_refused_before_sending(relay_client, sessions, path):
    assert Account.from_key(ALICE_KEY).address == ALICE
    before = table_snapshot(sessions)
    body = BODIES[path]
    cases = {
        "another signer": body(BOB_KEY),
        "another chain": body(ALICE_KEY, chain_id=1),
        "another registry": body(ALICE_KEY, registry=ADDRESSES["distributor"]),
    }
    for field, value in TAMPERED[path].items():
        cases[f"tampered {field}"] = {**body(ALICE_KEY), field: value}
    for name, request in cases.items():
        response = relay_client.post(path, json=request)
        assert response.status_code == 403, (name, response.text)
        assert f"not {ALICE}'s" in response.json()["detail"], name
    assert table_snapshot(sessions) == before


@pytest.mark.parametrize("path", sorted(BODIES))
def test_garbage_and_expired_signatures(relay_client, sessions, path):
    before = table_snapshot(sessions)
    garbage = {**BODIES[path](ALICE_KEY), "signature": "0x" + "00" * 65}
    response = relay_client.post(path, json=garbage)
    assert response.status_code in (400, 403) and response.json()["detail"]
    expired = BODIES[path](ALICE_KEY, deadline=1000)
    response = relay_client.post(path, json=expired)
    assert response.status_code == 400 and "deadline" in response.json()["detail"]
    assert table_snapshot(sessions) == before
