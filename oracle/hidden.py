"""The hidden answers the oracle holds, checked against the project's on-chain commitment.

A project is registered with `answersCommitment = keccak256(answers file bytes)`; the oracle
reads its local answers file and refuses to score with one whose hash differs (a stale or swapped
file would misprice every contribution). `answers_commitment` is the one definition of that hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eth_utils import keccak


class HiddenAnswersError(ValueError):
    """The local answers cannot be used: missing, or not the ones the project committed to."""


def answers_commitment(data: bytes) -> bytes:
    """The bytes32 a project registers for these answers."""
    return keccak(data)


@dataclass(frozen=True)
class HiddenAnswers:
    path: Path
    data: bytes

    @property
    def commitment(self) -> bytes:
        return answers_commitment(self.data)


def load_hidden_answers(path: Path, committed: bytes) -> HiddenAnswers:
    """The answers at `path`, after checking that they hash to the on-chain `committed` value."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise HiddenAnswersError(f"the hidden answers file {path} does not exist") from None
    answers = HiddenAnswers(Path(path), data)
    if answers.commitment != bytes(committed):
        raise HiddenAnswersError(
            f"the hidden answers in {path} hash to 0x{answers.commitment.hex()}, but the project committed "
            f"to 0x{bytes(committed).hex()}"
        )
    return answers
