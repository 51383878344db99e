"""Bad input gets a 4xx naming what is wrong, never a 5xx, and writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from api import models as m
from tests.api.fakes import ALICE

BAD_ADDRESSES = ["0x12", "not-an-address", "0x" + "g" * 40, ALICE.replace("C8", "c8"), "0x" + "1" * 41]
BAD_IDS = ["-1", "abc", "1.5", str(2**63), "99999999999999999999999"]
BAD_TOKENS = [
    "zzz",
    "%00",
    "a" * 65,
    "eDoxMg",
    "azotMQ",
    "azo5OTk5OTk5OTk5OTk5OTk5OTk5OTk",
]  # "x:12", "k:-1", past 2^63


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_malformed_addresses(client, address):
    for path in (
        f"/contributors/{address}",
        f"/contributors/{address}/contributions",
        f"/contributors/{address}/unclaimed",
        f"/projects/1/epochs/1/proofs/{address}",
        f"/contributions?contributor={address}",
        f"/delegations?delegator={address}",
    ):
        response = client.get(path)
        assert response.status_code == 422, (path, response.text)
        assert "address" in response.json()["detail"] or "checksum" in response.json()["detail"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_malformed_ids(client, bad):
    for path in (
        f"/contributions/{bad}",
        f"/projects/{bad}",
        f"/projects/{bad}/epochs",
        f"/projects/1/epochs/{bad}",
        f"/projects/{bad}/epochs/1/allocations",
        f"/projects/1/epochs/{bad}/allocations",
        f"/contributions?project={bad}",
        f"/contributions?epoch={bad}",
        f"/proposals/{bad}",
    ):
        response = client.get(path)
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text)
        assert response.json()["detail"]


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_malformed_page_tokens(client, token):
    for path in (
        "/contributions",
        f"/contributors/{ALICE}/contributions",
        "/projects/1/epochs/1/allocations",
        "/projects/1/epochs",
    ):
        response = client.get(f"{path}?page_token={token}")
        assert response.status_code in (400, 422), (path, response.text)
        detail = response.json()["detail"]
        assert "page token" in detail or "page_token" in detail


def test_unknown_enum_values(client):
    assert "kind" in client.get("/contributions?kind=weights").json()["detail"]
    assert "status" in client.get("/contributions?status=lost").json()["detail"]


@pytest.mark.parametrize(
    "cid", ["notacid", "Qm123", "bafy!", "/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"]
)
def test_malformed_cids(client, cid):
    response = client.get(f"/artifacts/{cid}")
    assert response.status_code in (404, 422), response.text  # a slash makes it another route
    if response.status_code == 422:
        assert "CID" in response.json()["detail"]


def test_unknown_artifact_is_404(client, store):
    absent = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    response = client.get(f"/artifacts/{absent}")
    assert response.status_code == 404 and absent in response.json()["detail"]


def _row_counts(sessions) -> dict[str, int]:
    with sessions() as session:
        return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) for t in m.EVENT_TABLES}


def test_oversized_and_refused_uploads_write_nothing(client, sessions, store, settings):
    before_rows, before_blocks = _row_counts(sessions), sorted(p for p in store.path.rglob("*") if p.is_file())
    too_big = b"x" * (settings.upload_max_bytes + 1)
    response = client.post("/artifacts", content=too_big, headers={"content-type": "application/octet-stream"})
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    response = client.post("/artifacts", content=b"<html>", headers={"content-type": "text/html"})
    assert response.status_code == 415 and "text/html" in response.json()["detail"]
    response = client.post("/artifacts", content=b"", headers={"content-type": "text/csv"})
    assert response.status_code == 400 and "empty" in response.json()["detail"]

    def chunked():  # no Content-Length: the limit is enforced while reading
        for _ in range(settings.upload_max_bytes // 1024 + 2):
            yield b"y" * 1024

    response = client.post("/artifacts", content=chunked(), headers={"content-type": "text/csv"})
    assert response.status_code == 413
    assert _row_counts(sessions) == before_rows
    assert sorted(p for p in store.path.rglob("*") if p.is_file()) == before_blocks


COMMIT_BODY = {
    "contributor": ALICE,
    "project_id": 1,
    "commitment": "0x" + "ab" * 32,
    "nonce": 0,
    "deadline": 4_000_000_000,
    "signature": "0x" + "11" * 65,
}
REVEAL_BODY = {
    "contributor": ALICE,
    "contribution_id": 7,
    "project_id": 1,
    "epoch": 2,
    "kind": "model_predictions",
    "cid": "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
    "salt": "0x" + "cd" * 32,
    "nonce": 0,
    "deadline": 4_000_000_000,
    "signature": "0x" + "11" * 65,
}
COMMON_CASES = {
    "extra": ({"gas": 1}, "gas"),
    "address": ({"contributor": "0x12"}, "contributor"),
    "signature": ({"signature": "0x1234"}, "signature"),
    "project": ({"project_id": 0}, "project_id"),
    "nonce": ({"nonce": -1}, "nonce"),
    "deadline": ({"deadline": "soon"}, "deadline"),
}
RELAY_CASES = {
    "/relay/commits": (
        COMMIT_BODY,
        {
            **COMMON_CASES,
            "commitment": ({"commitment": "0x1234"}, "commitment"),
            "commitment text": ({"commitment": "z" * 66}, "commitment"),
            "kind": ({"kind": "labels"}, "kind"),  # a commit names no kind: unknown field
        },
    ),
    "/relay/reveals": (
        REVEAL_BODY,
        {
            **COMMON_CASES,
            "cid": ({"cid": "nope"}, "cid"),
            "cidv0": ({"cid": "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"}, "base32"),
            "kind": ({"kind": "weights"}, "kind"),
            "salt": ({"salt": "0x12"}, "salt"),
            "contribution": ({"contribution_id": 0}, "contribution_id"),
            "epoch": ({"epoch": -1}, "epoch"),
        },
    ),
}


@pytest.mark.parametrize("path", sorted(RELAY_CASES))
def test_relay_refuses_unknown_fields_and_bad_values(client, sessions, path):
    before = _row_counts(sessions)
    good, cases = RELAY_CASES[path]
    for name, (change, word) in cases.items():
        response = client.post(path, json={**good, **change})
        assert response.status_code == 422, (name, response.text)
        assert word in response.json()["detail"], (name, response.json()["detail"])
    missing = dict(good)
    del missing["signature"]
    assert client.post(path, json=missing).status_code == 422
    response = client.post(path, content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    huge = {**good, "signature": "b" * 100_000}
    response = client.post(path, json=huge)
    assert response.status_code == 413 and "limit" in response.json()["detail"]

    def chunked():  # no Content-Length: counted while read
        yield b'{"cid": "'
        for _ in range(40):
            yield b"b" * 1024

    response = client.post(path, content=chunked(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    assert _row_counts(sessions) == before


@pytest.mark.parametrize("path", sorted(RELAY_CASES))
def test_no_relayer_key_is_503_not_a_send(client, path):
    response = client.post(path, json=RELAY_CASES[path][0])
    assert response.status_code == 503 and "relayer key" in response.json()["detail"]


def test_the_old_submission_relay_is_gone(client):
    assert client.post("/relay/submissions", json=REVEAL_BODY).status_code == 404


def test_unknown_routes_and_methods_answer_json(client):
    assert client.get("/nowhere").json() == {"detail": "Not Found"}
    response = client.delete("/contributions")
    assert response.status_code == 405 and response.json()["detail"]
