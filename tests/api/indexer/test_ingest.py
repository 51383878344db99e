"""The indexer's pure parts: bulk decoding equals web3.py's, re-ingesting changes nothing, a
rollback leaves exactly the state before the rolled-back blocks, and bad epoch reports are marked,
not trusted."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak
from hexbytes import HexBytes
from sqlalchemy import func, select
from web3 import Web3

from api import models as m
from api.indexer.decoding import LogDecoder
from api.indexer.ingest import ingest_events, rollback_above
from dao.abi import abi
from tests.api.fakes import ADDRESSES, ALICE, BOB, TOKEN, seed, table_snapshot


def _raw_log(
    contract: str, signature: str, topics: list[bytes], types: list[str], values: list, *, block: int, index: int
) -> dict:
    return {
        "address": ADDRESSES[contract].lower(),
        "topics": ["0x" + keccak(text=signature).hex()] + ["0x" + t.hex() for t in topics],
        "data": "0x" + encode(types, values).hex(),
        "blockNumber": hex(block),
        "blockHash": "0x" + f"{block:064x}",
        "logIndex": hex(index),
        "transactionHash": "0x" + f"{block * 1000 + index:064x}",
        "transactionIndex": "0x0",
        "removed": False,
    }


def _word(value: int | str) -> bytes:
    return int(value, 16).to_bytes(32, "big") if isinstance(value, str) else value.to_bytes(32, "big")


def _logs() -> list[dict]:
    return [
        _raw_log(
            "registry",
            "ContributionSubmitted(uint256,uint256,address,uint8,string,address)",
            [_word(7), _word(1), _word(ALICE)],
            ["uint8", "string", "address"],
            [1, "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", BOB],
            block=5,
            index=0,
        ),
        _raw_log(
            "registry",
            "ScoreAttested(uint256,uint256,string)",
            [_word(7)],
            ["uint256", "string"],
            [2**200 + 1, "bafkreireport"],
            block=5,
            index=1,
        ),
        _raw_log(
            "distributor",
            "EpochFunded(uint256,bytes32,uint256,string,uint64)",
            [_word(3)],
            ["bytes32", "uint256", "string", "uint64"],
            [b"\x11" * 32, 5 * TOKEN, "bafkreir", 2**40],
            block=6,
            index=0,
        ),
        _raw_log(
            "governor",
            "ProposalCreated(uint256,address,address[],uint256[],string[],bytes[],uint256,uint256,string)",
            [],
            ["uint256", "address", "address[]", "uint256[]", "string[]", "bytes[]", "uint256", "uint256", "string"],
            [2**255, ALICE, [BOB], [0], [""], [b"\x01\x02"], 10, 20, "Fund epoch 3 ✓"],
            block=4,
            index=3,
        ),
        _raw_log(
            "governor",
            "VoteCast(address,uint256,uint8,uint256,string)",
            [_word(BOB)],
            ["uint256", "uint8", "uint256", "string"],
            [2**255, 2, 10**24, "because"],
            block=6,
            index=1,
        ),
        _raw_log(
            "token",
            "DelegateChanged(address,address,address)",
            [_word(ALICE), _word(0), _word(BOB)],
            [],
            [],
            block=6,
            index=2,
        ),
    ]


def test_bulk_decoding_equals_web3_process_log():
    decoder = LogDecoder({k: ADDRESSES[k] for k in ("registry", "distributor", "governor", "token")})
    records = decoder.decode_all(_logs())
    assert [r["block_number"] for r in records] == [4, 5, 5, 6, 6, 6]  # chain order
    w3 = Web3()
    artifacts = {
        "registry": "ContributionRegistry",
        "distributor": "RewardDistributor",
        "governor": "MeritGovernor",
        "token": "MeritToken",
    }
    for raw, record in zip(
        sorted(_logs(), key=lambda log: (int(log["blockNumber"], 16), int(log["logIndex"], 16))), records
    ):
        contract = w3.eth.contract(
            address=Web3.to_checksum_address(raw["address"]), abi=abi(artifacts[record["contract"]])
        )
        formatted = {
            **raw,
            "topics": [HexBytes(t) for t in raw["topics"]],
            "data": HexBytes(raw["data"]),
            "blockNumber": int(raw["blockNumber"], 16),
            "logIndex": int(raw["logIndex"], 16),
            "transactionIndex": 0,
            "transactionHash": HexBytes(raw["transactionHash"]),
            "blockHash": HexBytes(raw["blockHash"]),
            "address": Web3.to_checksum_address(raw["address"]),
        }
        expected = contract.events[record["event"]]().process_log(formatted)["args"]
        for name, value in expected.items():
            if isinstance(value, bytes):
                value = "0x" + value.hex()
            if isinstance(value, (list, tuple)):
                value = ["0x" + v.hex() if isinstance(v, bytes) else v for v in value]
            assert record[name] == value, (record["event"], name)


def test_logs_of_other_events_and_removed_logs_are_skipped():
    decoder = LogDecoder({k: ADDRESSES[k] for k in ("registry", "distributor", "governor", "token")})
    logs = _logs()
    foreign = dict(logs[0], address="0x" + "99" * 20)
    removed = dict(logs[1], removed=True)
    assert decoder.decode_all([foreign, removed]) == []


def test_reingesting_changes_nothing(sessions, store):
    fake = seed(sessions, store)
    before = table_snapshot(sessions)
    with sessions.begin() as session:
        ingest_events(session, store, fake.events)
    assert table_snapshot(sessions) == before


def test_rollback_restores_the_state_before_those_blocks(sessions, store):
    fake = seed(sessions, store)
    funded_block = next(e["block_number"] for e in fake.events if e["event"] == "EpochFunded")
    attested_block = next(e["block_number"] for e in fake.events if e["event"] == "ScoreAttested")
    full = table_snapshot(sessions)
    with sessions.begin() as session:
        deleted = rollback_above(session, attested_block - 1)
    assert deleted > 0
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(m.Epoch)) == 0
        assert session.scalar(select(func.count()).select_from(m.AllocationRow)) == 0
        statuses = set(session.scalars(select(m.Contribution.status)))
        assert statuses == {"pending"}  # their attestations and explanations were above the ancestor
        assert session.scalar(select(func.count()).select_from(m.Contribution)) == 6
        assert set(session.scalars(select(m.Contribution.epoch_id))) == {None}
    with sessions.begin() as session:  # the same blocks again: back to the full state
        ingest_events(session, store, [e for e in fake.events if e["block_number"] > attested_block - 1])
    assert table_snapshot(sessions) == full
    assert funded_block > attested_block - 1


def test_a_report_with_another_root_is_invalid(sessions, store):
    fake = seed(sessions, store)
    forged = [
        replace_event(e, merkleRoot="0x" + "22" * 32, epochId=2) if e["event"] == "EpochFunded" else e
        for e in fake.events
        if e["event"] == "EpochFunded"
    ]
    with sessions.begin() as session:
        ingest_events(session, store, forged)
    with sessions() as session:
        epoch = session.get(m.Epoch, 2)
        assert epoch.report_status == "invalid" and "is not the funded root" in epoch.report_error
        assert (
            session.scalar(select(func.count()).select_from(m.AllocationRow).where(m.AllocationRow.epoch_id == 2)) == 0
        )


def test_a_report_not_in_the_store_is_missing_then_loaded(sessions, store, tmp_path):
    from dao.artifacts.embedded import EmbeddedStore

    empty = EmbeddedStore(tmp_path / "elsewhere")
    fake = seed(sessions, store)
    funded = [replace_event(e, epochId=5) for e in fake.events if e["event"] == "EpochFunded"]
    with sessions.begin() as session:
        ingest_events(session, empty, funded)
    with sessions() as session:
        assert session.get(m.Epoch, 5).report_status == "missing"
    from api.indexer.ingest import load_epoch_report

    with sessions.begin() as session:
        load_epoch_report(session, store, session.get(m.Epoch, 5))
    with sessions() as session:
        assert session.get(m.Epoch, 5).report_status == "ok"
        assert (
            session.scalar(select(func.count()).select_from(m.AllocationRow).where(m.AllocationRow.epoch_id == 5)) == 3
        )


def test_an_unreadable_report_is_invalid(sessions, store):
    fake = seed(sessions, store)
    junk = store.put(b'{"schema_version": "nope"}')
    funded = [replace_event(e, epochId=6, reportCid=junk) for e in fake.events if e["event"] == "EpochFunded"]
    with sessions.begin() as session:
        ingest_events(session, store, funded)
    with sessions() as session:
        epoch = session.get(m.Epoch, 6)
        assert epoch.report_status == "invalid" and "cannot be read" in epoch.report_error


def replace_event(event: dict, **changes) -> dict:
    return {**event, **changes}


def test_epoch_ids_past_bigint_are_skipped_not_fatal(sessions, store):
    fake = seed(sessions, store)
    funded = [replace_event(e, epochId=2**200) for e in fake.events if e["event"] == "EpochFunded"]
    claimed = [replace_event(e, index=2**70) for e in fake.events if e["event"] == "Claimed"]
    before = table_snapshot(sessions)
    with sessions.begin() as session:
        ingest_events(session, store, funded + claimed)
    assert table_snapshot(sessions) == before
