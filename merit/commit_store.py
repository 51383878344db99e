"""What a contributor keeps between commit and reveal: for each commit, the salt and a copy of the
committed file, in the keystore folder (`<keystore dir>/commits/`, readable by the owner only).

A commitment binds the content through a secret salt: without the salt the commit can never be
revealed (and its bond goes to the treasury), so the record is written *before* the commit is sent
and kept until the reveal is on chain. Nothing here is ever printed.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from eth_utils import to_checksum_address


class CommitStoreError(RuntimeError):
    """A local commit record that is missing or unusable."""


@dataclass(frozen=True)
class PendingCommit:
    chain_id: int
    registry: str
    project_id: int
    epoch: int
    contributor: str
    kind: str  # a ContributionKind value
    cid: str
    salt: str  # 0x-prefixed, 32 bytes
    commitment: str  # 0x-prefixed
    contribution_id: int | None = None  # known once the commit is mined
    commit_tx: str | None = None
    reveal_tx: str | None = None

    @property
    def revealed(self) -> bool:
        return self.reveal_tx is not None


class CommitStore:
    def __init__(self, keystore_dir: Path) -> None:
        self.root = Path(keystore_dir) / "commits"

    def _path(self, commitment: str) -> Path:
        return self.root / f"{commitment.lower()}.json"

    def artifact_path(self, commitment: str) -> Path:
        return self.root / f"{commitment.lower()}.artifact"

    def _write(self, path: Path, data: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, staging = tempfile.mkstemp(dir=self.root, prefix=".staging-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(staging, 0o600)
            os.replace(staging, path)
        except BaseException:
            Path(staging).unlink(missing_ok=True)
            raise

    def save(self, commit: PendingCommit, artifact: bytes | None = None) -> PendingCommit:
        if artifact is not None:
            self._write(self.artifact_path(commit.commitment), artifact)
        self._write(self._path(commit.commitment), (json.dumps(asdict(commit), indent=2) + "\n").encode())
        return commit

    def update(self, commit: PendingCommit, **changes: object) -> PendingCommit:
        return self.save(replace(commit, **changes))  # type: ignore[arg-type]

    def all(self, contributor: str | None = None) -> list[PendingCommit]:
        if not self.root.is_dir():
            return []
        found = []
        for path in sorted(self.root.glob("0x*.json")):
            try:
                commit = PendingCommit(**json.loads(path.read_text()))
            except (ValueError, TypeError) as error:
                raise CommitStoreError(f"{path} is not a commit record: {error}") from None
            if contributor is None or commit.contributor == to_checksum_address(contributor):
                found.append(commit)
        return sorted(found, key=lambda c: (c.contribution_id is None, c.contribution_id or 0, c.commitment))

    def by_contribution(self, contributor: str, contribution_id: int) -> PendingCommit:
        for commit in self.all(contributor):
            if commit.contribution_id == contribution_id:
                return commit
        raise CommitStoreError(
            f"no local record of contribution {contribution_id} for {to_checksum_address(contributor)} under "
            f"{self.root}: its salt is not on this machine, so it cannot be revealed (its bond goes to the "
            "treasury after the reveal window); your keys are not affected"
        )

    def artifact(self, commit: PendingCommit) -> bytes:
        try:
            return self.artifact_path(commit.commitment).read_bytes()
        except FileNotFoundError:
            raise CommitStoreError(
                f"the copy of the committed file for contribution {commit.contribution_id} is missing from {self.root}"
            ) from None
