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
from tests.api.fakes import ADDRESSES, ALICE

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


def _signed_body(
    key: str, *, contributor: str = ALICE, chain_id: int = 31337, registry: str = ADDRESSES["registry"]
) -> dict:
    typed = eip712.submission(
        chain_id, registry, contributor=contributor, project_id=1, kind=0, cid=CID, nonce=0, deadline=4_000_000_000
    )
    return {
        "contributor": contributor,
        "project_id": 1,
        "kind": "model_predictions",
        "cid": CID,
        "nonce": 0,
        "deadline": 4_000_000_000,
        "signature": "0x" + eip712.sign(typed, key).hex(),
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


def test_foreign_signatures_are_refused_before_sending(relay_client):
    assert Account.from_key(ALICE_KEY).address == ALICE
    cases = {
        "another signer": _signed_body(BOB_KEY),
        "another chain": _signed_body(ALICE_KEY, chain_id=1),
        "another registry": _signed_body(ALICE_KEY, registry=ADDRESSES["distributor"]),
    }
    for name, body in cases.items():
        response = relay_client.post("/relay/submissions", json=body)
        assert response.status_code == 403, (name, response.text)
        assert f"not {ALICE}'s" in response.json()["detail"]
    tampered = _signed_body(ALICE_KEY)
    tampered["project_id"] = 2  # signed for project 1
    assert relay_client.post("/relay/submissions", json=tampered).status_code == 403


def test_garbage_and_expired_signatures(relay_client):
    garbage = _signed_body(ALICE_KEY)
    garbage["signature"] = "0x" + "00" * 65
    response = relay_client.post("/relay/submissions", json=garbage)
    assert response.status_code in (400, 403) and response.json()["detail"]
    typed = eip712.submission(
        31337, ADDRESSES["registry"], contributor=ALICE, project_id=1, kind=0, cid=CID, nonce=0, deadline=1000
    )
    expired = {**_signed_body(ALICE_KEY), "deadline": 1000, "signature": "0x" + eip712.sign(typed, ALICE_KEY).hex()}
    response = relay_client.post("/relay/submissions", json=expired)
    assert response.status_code == 400 and "deadline" in response.json()["detail"]
