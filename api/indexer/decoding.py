"""Bulk log decoding: raw `eth_getLogs` results into plain dicts, without web3's per-log
formatters.

The event formats come from `dao.abi` (the one definition). For each event the decoder is
prepared once: its topic0, the readers of its indexed topics and of its data words. Static
values are read straight from their 32-byte words and addresses are checksummed through a cache;
only events with arrays fall back to eth_abi.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

from dao.abi import abi

# Which events of which contract the indexer stores (keyed by the deployment's contract names).
INDEXED_EVENTS: dict[str, tuple[str, ...]] = {
    "registry": (
        "ProjectRegistered",
        "ScheduleChanged",
        "SlicesRegistered",
        "SliceRevealed",
        "ProjectPaused",
        "ProjectUnpaused",
        "Committed",
        "Revealed",
        "ScoreAttested",
        "BondReturned",
        "BondForfeited",
    ),
    "distributor": ("EpochFunded", "Claimed", "EpochSwept"),
    "governor": (
        "ProposalCreated",
        "ProposalQueued",
        "ProposalExecuted",
        "ProposalCanceled",
        "ProposalExtended",
        "VoteCast",
        "VoteCastWithParams",
    ),
    "token": ("DelegateChanged",),
}
ARTIFACTS = {
    "registry": "ContributionRegistry",
    "distributor": "RewardDistributor",
    "governor": "MeritGovernor",
    "token": "MeritToken",
}


@lru_cache(maxsize=65536)
def checksum(address_hex: str) -> str:
    """EIP-55 form of a lower-case 0x address; cached because the same few addresses recur."""
    return to_checksum_address(address_hex)


def _topic_reader(abi_type: str) -> Callable[[str], Any]:
    if abi_type == "address":
        return lambda topic: checksum("0x" + topic[-40:].lower())
    if abi_type.startswith("uint"):
        return lambda topic: int(topic, 16)
    if abi_type.startswith("int"):
        bits = int(abi_type[3:] or 256)
        return lambda topic: _signed(int(topic, 16), bits)
    if abi_type == "bool":
        return lambda topic: int(topic, 16) != 0
    return lambda topic: topic.lower()  # bytes32, and hashes of dynamic indexed values


def _signed(value: int, bits: int) -> int:
    return value - (1 << 256) if value >= 1 << 255 else value


def _word_reader(abi_type: str) -> Callable[[bytes, int], Any] | None:
    """A reader of the head word at byte offset `at`, or None for types that need eth_abi."""
    if abi_type.endswith("]") or abi_type.startswith("("):
        return None
    if abi_type == "address":
        return lambda data, at: checksum("0x" + data[at + 12 : at + 32].hex())
    if abi_type.startswith("uint"):
        return lambda data, at: int.from_bytes(data[at : at + 32], "big")
    if abi_type.startswith("int"):
        return lambda data, at: int.from_bytes(data[at : at + 32], "big", signed=True)
    if abi_type == "bool":
        return lambda data, at: data[at + 31] != 0
    if abi_type in ("string", "bytes"):
        as_text = abi_type == "string"

        def dynamic(data: bytes, at: int) -> Any:
            offset = int.from_bytes(data[at : at + 32], "big")
            length = int.from_bytes(data[offset : offset + 32], "big")
            raw = data[offset + 32 : offset + 32 + length]
            if len(raw) != length:
                raise ValueError("dynamic value runs past the log data")
            return raw.decode("utf-8", errors="replace") if as_text else "0x" + raw.hex()

        return dynamic
    if abi_type.startswith("bytes"):
        size = int(abi_type[5:])
        return lambda data, at: "0x" + data[at : at + size].hex()
    return None


@dataclass(frozen=True)
class EventDecoder:
    contract: str
    name: str
    topic0: str
    topic_names: tuple[str, ...]
    topic_readers: tuple[Callable[[str], Any], ...]
    data_names: tuple[str, ...]
    data_types: tuple[str, ...]
    data_readers: tuple[Callable[[bytes, int], Any], ...] | None

    def decode(self, log: dict[str, Any]) -> dict[str, Any]:
        """The event's arguments by name, plus `event`, `contract`, `block_number`, `block_hash`,
        `log_index`, `tx_hash`, and `block_timestamp` when the node includes it in its logs (else None)."""
        topics = log["topics"]
        if len(topics) != len(self.topic_readers) + 1:
            raise ValueError(f"{self.name}: expected {len(self.topic_readers) + 1} topics, got {len(topics)}")
        record: dict[str, Any] = {
            "event": self.name,
            "contract": self.contract,
            "block_number": int(log["blockNumber"], 16),
            "block_hash": log["blockHash"].lower(),
            "log_index": int(log["logIndex"], 16),
            "tx_hash": log["transactionHash"].lower(),
            "block_timestamp": int(log["blockTimestamp"], 16) if log.get("blockTimestamp") else None,
        }
        for name, read, topic in zip(self.topic_names, self.topic_readers, topics[1:]):
            record[name] = read(topic)
        data = bytes.fromhex(log["data"][2:])
        if self.data_readers is None:
            for name, value in zip(self.data_names, abi_decode(list(self.data_types), data)):
                record[name] = _plain(value)
        else:
            if len(data) < 32 * len(self.data_readers):
                raise ValueError(f"{self.name}: log data is {len(data)} bytes, too short")
            for position, (name, read_word) in enumerate(zip(self.data_names, self.data_readers)):
                record[name] = read_word(data, 32 * position)
        return record


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return checksum(value.lower())
    return value


def _signature(entry: dict[str, Any]) -> str:
    return f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"


def event_decoder(contract_key: str, event: str) -> EventDecoder:
    entry = next(e for e in abi(ARTIFACTS[contract_key]) if e.get("type") == "event" and e["name"] == event)
    indexed = [i for i in entry["inputs"] if i["indexed"]]
    plain = [i for i in entry["inputs"] if not i["indexed"]]
    readers = [_word_reader(i["type"]) for i in plain]
    return EventDecoder(
        contract=contract_key,
        name=event,
        topic0="0x" + keccak(text=_signature(entry)).hex(),
        topic_names=tuple(i["name"] for i in indexed),
        topic_readers=tuple(_topic_reader(i["type"]) for i in indexed),
        data_names=tuple(i["name"] for i in plain),
        data_types=tuple(i["type"] for i in plain),
        data_readers=None if any(r is None for r in readers) else tuple(readers),  # type: ignore[arg-type]
    )


class LogDecoder:
    """Decodes the raw logs of a deployment's contracts, in one pass over a getLogs result."""

    def __init__(self, addresses: dict[str, str]) -> None:
        """`addresses`: contract key (registry, distributor, governor, token) -> address."""
        self.by_address_topic: dict[tuple[str, str], EventDecoder] = {}
        for key, events in INDEXED_EVENTS.items():
            address = addresses[key].lower()
            for event in events:
                decoder = event_decoder(key, event)
                self.by_address_topic[(address, decoder.topic0)] = decoder
        self.addresses = sorted({a.lower() for a in addresses.values()})
        self.topics = sorted({d.topic0 for d in self.by_address_topic.values()})

    def decode_all(self, logs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Decoded events in chain order; logs of other events or removed logs are skipped."""
        found = self.by_address_topic
        records = []
        for log in logs:
            if log.get("removed") or not log["topics"]:
                continue
            decoder = found.get((log["address"].lower(), log["topics"][0].lower()))
            if decoder is not None:
                records.append(decoder.decode(log))
        records.sort(key=lambda r: (r["block_number"], r["log_index"]))
        return records
