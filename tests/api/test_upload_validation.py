"""The upload checks an artifact against a project's format when it names the project and kind:
a file the oracle would reject is refused with 422 naming the line and the reason, and not stored."""

from __future__ import annotations

import io

import numpy as np
import pytest

from api import models as m
from api.validation import CannotCheck, load_format
from oracle.scoring.report import EpochInputs, EpochReport, ScoringParameters, canonical_json

BENCHMARK = b"id,pixels\np0,0.1\np1,0.2\np2,0.3\n"
PROJECT = 9


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


@pytest.fixture
def project(sessions, store):
    with sessions.begin() as session:
        session.add(
            m.Project(
                project_id=PROJECT,
                name="pets",
                task=0,
                metric="accuracy",
                benchmark_cid=store.put(BENCHMARK),
                block_number=1,
                tx_hash="0x" + "00" * 32,
            )
        )
    return PROJECT


def upload(client, data: bytes, **params):
    return client.post("/artifacts", content=data, params=params, headers={"content-type": "application/octet-stream"})


@pytest.mark.parametrize(
    ("kind", "data", "detail"),
    [
        ("model_predictions", b"item,label\np0,cat\n", "line 1: the header must start with 'id,' (unreadable)"),
        ("model_predictions", b'{"p0": "cat"}', "line 1: the header must start with 'id,' (unreadable)"),
        ("model_predictions", b"id,label\np0,cat\np7,dog\np2,cat\n", "line 3: 'p7' is not a public benchmark item"),
        ("model_predictions", npy(np.zeros(2, dtype=np.int64)), "2 rows for 3 public items (wrong_length)"),
        ("labels", b"annotator,item,label\na,p0,cat\n", "line 1: header must be 'item,label' (unreadable)"),
        ("labels", b"item,label\np0,cat\np1,dog,x\n", "line 3: expected 2 non-empty columns (unreadable)"),
    ],
)
def test_a_bad_artifact_is_refused_with_line_and_reason_and_not_stored(client, store, project, kind, data, detail):
    from dao.artifacts.store import compute_artifact_cid

    response = upload(client, data, project=project, kind=kind)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(f"not valid {kind} for project {project}: ")
    assert detail in response.json()["detail"]
    assert not store.has(compute_artifact_cid(data))


def test_a_good_artifact_is_stored_and_without_project_nothing_is_checked(client, store, project):
    good = b"id,label\np2,cat\np0,dog\np1,cat\n"
    stored = upload(client, good, project=project, kind="model_predictions")
    assert stored.status_code == 201, stored.text
    assert store.get(stored.json()["cid"]) == good
    assert upload(client, npy(np.array([0, 1, 0])), project=project, kind="model_predictions").status_code == 201
    assert upload(client, b"item,label\nt0,cat\n", project=project, kind="labels").status_code == 201
    assert upload(client, b"anything at all").status_code == 201  # kind-agnostic, as before


def test_project_and_kind_go_together_and_must_exist(client, project):
    assert upload(client, b"id,label\n", project=project).status_code == 422
    assert upload(client, b"id,label\n", project=project, kind="bogus").status_code == 422
    missing = upload(client, b"id,label\np0,a\n", project=4242, kind="labels")
    assert missing.status_code == 404 and "no project 4242" in missing.json()["detail"]


def test_a_benchmark_missing_from_the_store_means_the_check_cannot_run(client, sessions, project):
    with sessions.begin() as session:
        session.get(m.Project, project).benchmark_cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
    refused = upload(client, b"id,label\np0,cat\n", project=project, kind="model_predictions")
    assert refused.status_code == 409 and "not in this API's store" in refused.json()["detail"]


def test_the_newest_published_report_gives_the_class_list_and_label_items(client, sessions, store, project):
    report = EpochReport(
        scoring_version="test",
        parameters=ScoringParameters(task="classification", metric="accuracy", classes=["cat", "dog"]),
        inputs=EpochInputs(
            project="pets", epoch=0, chain_id=1, budget_wei=1, label_items_cid=store.put(b"item\nt0\nt1\n")
        ),
        model_pool_wei=0,
        label_pool_wei=0,
        unallocated_wei=0,
        merkle_root="0x" + "00" * 32,
    )
    with sessions.begin() as session:
        session.add(
            m.Epoch(
                project_id=project,
                epoch=0,
                epoch_key=(project << 128),
                merkle_root="0x" + "00" * 32,
                total=0,
                report_cid=store.put(canonical_json(report).encode()),
                claim_deadline=0,
                block_number=2,
                tx_hash="0x" + "11" * 32,
                report_status="ok",
            )
        )
    with sessions() as session:
        fmt = load_format(session, store, project)
    assert (fmt.classes, fmt.label_items, fmt.item_ids) == (("cat", "dog"), ("t0", "t1"), ("p0", "p1", "p2"))
    fox = upload(client, b"id,label\np0,cat\np1,fox\np2,dog\n", project=project, kind="model_predictions")
    assert fox.status_code == 422 and "line 3: 'fox' is not a class (unknown_class)" in fox.json()["detail"]
    ghost = upload(client, b"item,label\nt0,cat\nt9,dog\n", project=project, kind="labels")
    assert ghost.status_code == 422 and "line 3: unknown item 't9' (unknown_item)" in ghost.json()["detail"]


def test_an_unknown_project_cannot_be_checked(sessions, store):
    with sessions() as session, pytest.raises(CannotCheck) as raised:
        load_format(session, store, 777)
    assert raised.value.status == 404


def test_the_openapi_schema_documents_project_and_kind(client):
    operation = client.get("/openapi.json").json()["paths"]["/artifacts"]["post"]
    names = {p["name"] for p in operation["parameters"]}
    assert names >= {"project", "kind"} and "422" in operation["responses"]


def test_the_reveal_relay_refuses_a_stored_artifact_the_oracle_would_reject(sessions, store, project):
    """A relayed reveal names its CID: a stored artifact is checked (a relayed commit carries only a
    commitment, so nothing can be checked there)."""
    from types import SimpleNamespace

    from api.relay import RelayRefused, _check_revealed_artifact
    from api.schemas import RevealRelayRequest

    state = SimpleNamespace(store=store, sessions=sessions)

    def request(cid: str, kind: str = "model_predictions") -> RevealRelayRequest:
        fields = {"contributor": "0x" + "ab" * 20, "contribution_id": 1, "project_id": project, "epoch": 0}
        fields |= {"kind": kind, "cid": cid, "salt": "0x" + "00" * 32, "nonce": 0, "deadline": 1}
        return RevealRelayRequest(**fields, signature="0x" + "00" * 65)

    bad = store.put(b"id,label\np0,cat\np1,cat\n")
    with pytest.raises(RelayRefused) as refused:
        _check_revealed_artifact(state, request(bad))
    assert refused.value.status == 422
    assert "2 rows for 3 benchmark items (wrong_length); not revealed" in refused.value.message
    _check_revealed_artifact(state, request(store.put(b"id,label\np0,cat\np1,cat\np2,dog\n")))  # valid: relayed
    _check_revealed_artifact(state, request("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"))  # absent
