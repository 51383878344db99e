"""Encrypted keystores (Web3 Secret Storage, as geth and eth-account write them) for the CLI,
the oracle and the deploy script. A key is only ever read from a keystore file with its password,
never from a command line."""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class KeystoreError(ValueError):
    """A keystore that cannot be created, found or opened; the message says which and why."""


@dataclass(frozen=True)
class KeystoreEntry:
    name: str
    address: str
    path: Path


def _path(directory: Path, name: str) -> Path:
    if not NAME_PATTERN.match(name):
        raise KeystoreError(f"invalid account name {name!r}: letters, digits, '_', '.', '-' (max 64)")
    return Path(directory) / f"{name}.json"


def save(directory: Path, name: str, private_key: bytes | str, password: str) -> KeystoreEntry:
    """Encrypts the key into `<directory>/<name>.json` (mode 600); refuses to overwrite."""
    if not password:
        raise KeystoreError("a keystore needs a non-empty password")
    path = _path(directory, name)
    if path.exists():
        raise KeystoreError(f"an account named {name!r} exists already ({path})")
    account = Account.from_key(private_key)
    encrypted = Account.encrypt(account.key, password)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as handle:
        json.dump(encrypted, handle)
    return KeystoreEntry(name, account.address, path)


def create(directory: Path, name: str, password: str) -> KeystoreEntry:
    """A new random key, saved encrypted."""
    return save(directory, name, Account.create().key, password)


def entries(directory: Path) -> list[KeystoreEntry]:
    found = []
    for path in sorted(Path(directory).glob("*.json")):
        try:
            address = json.loads(path.read_text())["address"]
        except (json.JSONDecodeError, KeyError, OSError):
            continue  # not a keystore
        found.append(KeystoreEntry(path.stem, to_checksum_address("0x" + address.removeprefix("0x")), path))
    return found


def find(directory: Path, name_or_path: str) -> Path:
    """A keystore by account name in `directory`, or by a file path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".json" and candidate.is_file():
        return candidate
    path = _path(directory, name_or_path)
    if not path.is_file():
        raise FileNotFoundError(f"no account named {name_or_path!r} in {directory}")
    return path


def unlock(path: Path, password: str) -> LocalAccount:
    try:
        key = Account.decrypt(json.loads(Path(path).read_text()), password)
    except ValueError as exc:
        raise KeystoreError(f"cannot open {path}: {exc} (wrong password?)") from None
    except (json.JSONDecodeError, KeyError):
        raise KeystoreError(f"{path} is not a keystore file") from None
    return Account.from_key(key)


def entries_by_name(directory: Path, name: str) -> KeystoreEntry:
    for entry in entries(directory):
        if entry.name == name:
            return entry
    raise FileNotFoundError(f"no account named {name!r} in {directory}")
