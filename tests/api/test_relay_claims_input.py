"""/relay/claims without a chain: the shapes it refuses before simulating anything, the answer of
an API with no relayer, its OpenAPI description, and its rate-limit settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.settings import Settings

ACCOUNT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
CLAIM = {"epoch_key": str(2**128), "index": 0, "amount": "7000000000000000000", "proof": ["0x" + "ab" * 32]}


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"account": ACCOUNT, "claims": []}, "claims"),
        ({"account": ACCOUNT, "claims": [CLAIM] * 17}, "claims"),
        ({"account": ACCOUNT}, "claims"),
        ({"account": "0x1234", "claims": [CLAIM]}, "account"),
        ({"account": ACCOUNT.lower(), "claims": [{**CLAIM, "amount": "-1"}]}, "amount"),
        ({"account": ACCOUNT, "claims": [{**CLAIM, "epoch_key": str(2**256)}]}, "uint256"),
        ({"account": ACCOUNT, "claims": [{**CLAIM, "proof": ["0x" + "ab" * 32] * 33}]}, "proof"),
        ({"account": ACCOUNT, "claims": [{**CLAIM, "proof": ["0xab"]}]}, "proof"),
        ({"account": ACCOUNT, "claims": [{**CLAIM, "project_id": 1}]}, "project_id"),
        ({"account": ACCOUNT, "claims": [CLAIM], "signature": "0x"}, "signature"),
    ],
)
def test_claims_of_the_wrong_shape_are_422(client, body, word):
    response = client.post("/relay/claims", json=body)
    assert response.status_code == 422, response.text
    assert word in response.json()["detail"]


def test_no_relayer_key_is_503_not_a_send(client):
    response = client.post("/relay/claims", json={"account": ACCOUNT, "claims": [CLAIM]})
    assert response.status_code == 503 and "relayer key" in response.json()["detail"]


def test_a_body_over_the_relay_limit_is_413(client):
    response = client.post("/relay/claims", json={"account": ACCOUNT, "claims": [CLAIM], "pad": "x" * 20_000})
    assert response.status_code == 413 and "limit" in response.json()["detail"]


def test_the_openapi_schema_describes_the_claim_relay(client):
    operation = client.get("/openapi.json").json()["paths"]["/relay/claims"]["post"]
    assert {"201", "400", "409", "422", "429", "503"} <= set(operation["responses"])
    assert "rate-limited per account and per client" in operation["description"]
    assert "No signature" in operation["description"]


def test_the_claim_rate_limits_are_checked_settings(tmp_path):
    assert Settings(relay_claims_per_account="2/day").relay_claims_per_account == "2/day"
    with pytest.raises(ValidationError, match="not a rate limit"):
        Settings(relay_claims_per_client="often")
