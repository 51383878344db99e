"""The indexer's pure parts: bulk decoding equals web3.py's for every indexed event, re-ingesting
changes nothing, a rollback leaves exactly the state before the rolled-back blocks (derived
contribution and schedule rows included), and bad epoch reports are marked, not trusted."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak
from hexbytes import HexBytes
from sqlalchemy import delete, func, select, update
from web3 import Web3

from api import models as m
from api.clock import indexed_now
from api.indexer.decoding import INDEXED_EVENTS, LogDecoder
from api.indexer.ingest import ingest_events, load_epoch_report, record_blocks, rollback_above
from dao.abi import abi
from dao.proposals import epoch_key
from tests.api.fakes import ADDRESSES, ALICE, BOB, TOKEN, seed, table_snapshot

CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"


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
            "ProjectRegistered(uint256,string,uint8,string,string)",
            [_word(1)],
            ["string", "uint8", "string", "string"],
            ["iris", 0, "accuracy", CID],
            block=3,
            index=0,
        ),
        _raw_log(
            "registry",
            "ScheduleChanged(uint256,uint256,uint256,uint256,uint256,uint256)",
            [_word(1)],
            ["uint256"] * 5,
            [0, 1000, 100, 50, 5 * TOKEN],
            block=3,
            index=1,
        ),
        _raw_log(
            "registry",
            "SlicesRegistered(uint256,uint256,bytes32,uint256)",
            [_word(1), _word(1)],
            ["bytes32", "uint256"],
            [b"\x77" * 32, 3],
            block=3,
            index=2,
        ),
        _raw_log(
            "registry",
            "Committed(uint256,uint256,address,uint256,bytes32,uint256,address)",
            [_word(7), _word(1), _word(ALICE)],
            ["uint256", "bytes32", "uint256", "address"],
            [2, b"\xc0" * 32, 5 * TOKEN, BOB],
            block=5,
            index=0,
        ),
        _raw_log(
            "registry",
            "Revealed(uint256,uint256,address,uint256,uint8,string,address)",
            [_word(7), _word(1), _word(ALICE)],
            ["uint256", "uint8", "string", "address"],
            [2, 1, CID, BOB],
            block=5,
            index=1,
        ),
        _raw_log(
            "registry",
            "ScoreAttested(uint256,uint256,bool,string)",
            [_word(7)],
            ["uint256", "bool", "string"],
            [2**200 + 1, True, "bafkreireport"],
            block=5,
            index=2,
        ),
        _raw_log(
            "registry",
            "BondReturned(uint256,address,uint256)",
            [_word(7), _word(ALICE)],
            ["uint256"],
            [5 * TOKEN],
            block=5,
            index=3,
        ),
        _raw_log(
            "registry",
            "BondForfeited(uint256,address,uint256)",
            [_word(8), _word(BOB)],
            ["uint256"],
            [5 * TOKEN],
            block=5,
            index=4,
        ),
        _raw_log(
            "registry",
            "SliceRevealed(uint256,uint256,uint256,uint256,bytes32,bytes32,string)",
            [_word(1), _word(2)],
            ["uint256", "uint256", "bytes32", "bytes32", "string"],
            [1, 0, b"\x01" * 32, b"\x02" * 32, CID],
            block=6,
            index=3,
        ),
        _raw_log(
            "distributor",
            "EpochFunded(uint256,uint256,uint256,bytes32,uint256,string,uint64)",
            [_word(epoch_key(1, 2)), _word(1)],
            ["uint256", "bytes32", "uint256", "string", "uint64"],
            [2, b"\x11" * 32, 5 * TOKEN, "bafkreir", 2**40],
            block=6,
            index=0,
        ),
        _raw_log(
            "distributor",
            "Claimed(uint256,uint256,address,uint256)",
            [_word(epoch_key(1, 2)), _word(ALICE)],
            ["uint256", "uint256"],
            [3, TOKEN],
            block=6,
            index=4,
        ),
        _raw_log(
            "distributor",
            "EpochSwept(uint256,address,uint256)",
            [_word(epoch_key(1, 2)), _word(BOB)],
            ["uint256"],
            [TOKEN],
            block=6,
            index=5,
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


def test_every_new_registry_and_distributor_event_is_decoded():
    decoded = {r["event"] for r in LogDecoder({k: ADDRESSES[k] for k in INDEXED_EVENTS}).decode_all(_logs())}
    wanted = set(INDEXED_EVENTS["registry"]) | set(INDEXED_EVENTS["distributor"])
    assert wanted - decoded == {"ProjectPaused", "ProjectUnpaused"}  # unchanged, and in the fake chain
    assert "ContributionSubmitted" not in wanted


def test_bulk_decoding_equals_web3_process_log():
    decoder = LogDecoder({k: ADDRESSES[k] for k in ("registry", "distributor", "governor", "token")})
    records = decoder.decode_all(_logs())
    assert [r["block_number"] for r in records] == [3, 3, 3, 4] + [5] * 5 + [6] * 6  # chain order
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
        assert record["block_timestamp"] is None  # these logs carry no blockTimestamp
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


def test_block_timestamps_are_kept_and_never_erased(sessions):
    with sessions.begin() as session:
        record_blocks(session, {5: ("0x05", None), 6: ("0x06", 1600)})
        record_blocks(session, {5: ("0x05", 1500), 6: ("0x06", None)})
    with sessions() as session:
        assert {b.number: b.timestamp for b in session.scalars(select(m.IndexedBlock))} == {5: 1500, 6: 1600}
        assert indexed_now(session) == 1600


def test_rollback_restores_the_state_before_those_blocks(sessions, store):
    fake = seed(sessions, store)
    attested_block = next(e["block_number"] for e in fake.events if e["event"] == "ScoreAttested")
    full = table_snapshot(sessions)
    with sessions.begin() as session:
        deleted = rollback_above(session, attested_block - 1)
    assert deleted > 0
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(m.Epoch)) == 0
        assert session.scalar(select(func.count()).select_from(m.AllocationRow)) == 0
        assert session.scalar(select(func.count()).select_from(m.ScoreExplanation)) == 0
        statuses = dict(session.execute(select(m.Contribution.contribution_id, m.Contribution.status)).all())
        # revealed before the ancestor, attested and forfeited after it; 6 and 7 committed after it
        assert statuses == {1: "revealed", 2: "revealed", 3: "revealed", 4: "revealed", 5: "committed"}
        assert set(session.scalars(select(m.Contribution.bond_state))) == {"held", "none"}
        assert set(session.scalars(select(m.Contribution.score))) == {None}
        # the schedule change from epoch 3 came later too: only the first configurations remain
        assert set(session.execute(select(m.ProjectSchedule.project_id, m.ProjectSchedule.from_epoch)).all()) == {
            (1, 0),
            (2, 0),
        }
    with sessions.begin() as session:  # the same blocks again: back to the full state
        ingest_events(session, store, [e for e in fake.events if e["block_number"] > attested_block - 1])
    assert table_snapshot(sessions) == full


def test_a_rolled_back_replacement_brings_the_replaced_schedule_back(sessions, store):
    fake = seed(sessions, store)
    later = max(e["block_number"] for e in fake.events) + 10
    change = next(e for e in fake.events if e["event"] == "ScheduleChanged" and e["fromEpoch"] == 3)
    with sessions.begin() as session:
        ingest_events(session, store, [dict(change, commitWindow=250, block_number=later, log_index=0)])
    with sessions() as session:
        assert session.get(m.ProjectSchedule, (1, 3)).commit_window == 250
    with sessions.begin() as session:
        rollback_above(session, later - 1)
    with sessions() as session:
        assert session.get(m.ProjectSchedule, (1, 3)).commit_window == 300


def replace_event(event: dict, **changes) -> dict:
    return {**event, **changes}


def _funded(fake, **changes) -> list[dict]:
    return [replace_event(e, **changes) for e in fake.events if e["event"] == "EpochFunded" and e["projectId"] == 1]


def test_a_report_with_another_root_is_invalid(sessions, store):
    fake = seed(sessions, store)
    forged = _funded(fake, merkleRoot="0x" + "22" * 32, epochKey=epoch_key(1, 2), epoch=2)
    with sessions.begin() as session:
        ingest_events(session, store, forged)
    with sessions() as session:
        epoch = session.get(m.Epoch, (1, 2))
        assert epoch.report_status == "invalid"
        # the report names epoch 1: that is caught before its root is
        assert "not of the funded epoch 2" in epoch.report_error
    other_root = _funded(fake, merkleRoot="0x" + "22" * 32, epochKey=epoch_key(3, 1), projectId=3)
    with sessions.begin() as session:
        ingest_events(session, store, other_root)
    with sessions() as session:
        epoch = session.get(m.Epoch, (3, 1))
        assert epoch.report_status == "invalid" and "is not the funded root" in epoch.report_error
        count = select(func.count()).select_from(m.AllocationRow).where(m.AllocationRow.project_id == 3)
        assert session.scalar(count) == 0


def test_explanations_attach_only_to_the_epochs_own_contributions(sessions, store):
    fake = seed(sessions, store)
    # project 1's epoch-1 report funded as project 3's epoch 1: its entries name contributions of
    # project 1, so none is explained by it
    funded = _funded(fake, epochKey=epoch_key(3, 1), projectId=3)
    with sessions.begin() as session:
        ingest_events(session, store, funded)
    with sessions() as session:
        assert session.get(m.Epoch, (3, 1)).report_status == "ok"
        assert session.scalar(select(func.count()).where(m.ScoreExplanation.project_id == 3)) == 0
        assert session.scalar(select(func.count()).where(m.AllocationRow.project_id == 3)) == 2


def test_a_report_not_in_the_store_is_missing_then_loaded(sessions, store, tmp_path):
    from dao.artifacts.embedded import EmbeddedStore

    fake = seed(sessions, store)
    with sessions.begin() as session:  # the explanations are rebuilt from the report once it is there
        session.execute(delete(m.ScoreExplanation))
        session.execute(delete(m.AllocationRow))
        session.execute(update(m.Epoch).values(report_status="missing"))
    empty = EmbeddedStore(tmp_path / "elsewhere")
    with sessions.begin() as session:
        ingest_events(session, empty, _funded(fake))  # re-ingested: the report is still not there
        load_epoch_report(session, empty, session.get(m.Epoch, (1, 1)))
    with sessions() as session:
        assert session.get(m.Epoch, (1, 1)).report_status == "missing"
    with sessions.begin() as session:
        load_epoch_report(session, store, session.get(m.Epoch, (1, 1)))
    with sessions() as session:
        assert session.get(m.Epoch, (1, 1)).report_status == "ok"
        count = select(func.count()).select_from(m.AllocationRow).where(m.AllocationRow.project_id == 1)
        assert session.scalar(count) == 2
        assert sorted(session.scalars(select(m.ScoreExplanation.contribution_id))) == [1, 2]


def test_an_unreadable_report_is_invalid(sessions, store):
    fake = seed(sessions, store)
    junk = store.put(b'{"schema_version": "nope"}')
    with sessions.begin() as session:
        ingest_events(session, store, _funded(fake, epochKey=epoch_key(1, 6), epoch=6, reportCid=junk))
    with sessions() as session:
        epoch = session.get(m.Epoch, (1, 6))
        assert epoch.report_status == "invalid" and "cannot be read" in epoch.report_error


def test_values_past_bigint_are_skipped_not_fatal(sessions, store):
    fake = seed(sessions, store)
    funded = _funded(fake, epochKey=epoch_key(1, 2**70), epoch=2**70)
    claimed = [replace_event(e, index=2**70) for e in fake.events if e["event"] == "Claimed"]
    committed = [replace_event(e, contributionId=2**64) for e in fake.events if e["event"] == "Committed"][:1]
    before = table_snapshot(sessions)
    with sessions.begin() as session:
        ingest_events(session, store, funded + claimed + committed)
    assert table_snapshot(sessions) == before
