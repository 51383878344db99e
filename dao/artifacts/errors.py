"""Errors of the artifact store. Each names what is wrong, so the CLI and the API can show it as
one line; the store is unchanged after any of them, except where a class says otherwise."""

from __future__ import annotations


class ArtifactError(Exception):
    """Base of every artifact-store error."""


class InvalidCidError(ArtifactError, ValueError):
    """The value is not a CID."""


class UnsupportedCidError(ArtifactError, ValueError):
    """A valid CID that the store cannot read or verify (another codec or hash function)."""


class ArtifactNotFoundError(ArtifactError, LookupError):
    """A block of the artifact is not in the store (or the node did not find it in time)."""

    def __init__(self, cid: str, message: str | None = None) -> None:
        self.cid = cid
        super().__init__(message or f"artifact block {cid} is not in the store")


class CorruptBlockError(ArtifactError):
    """A stored block does not hash to its CID: it is reported and never served."""

    def __init__(self, cid: str, message: str | None = None) -> None:
        self.cid = cid
        super().__init__(message or f"block {cid} does not match its hash: it is corrupted")


class MalformedDagError(ArtifactError):
    """The blocks hash correctly but do not form a UnixFS file (bad protobuf, a directory,
    sizes that disagree)."""


class NotPinnedError(ArtifactError):
    """Unpin of a CID that is not pinned."""


class InvalidCarError(ArtifactError, ValueError):
    """A CAR file that is truncated, malformed, or whose blocks do not match their CIDs.
    Nothing from it is stored."""


class CidMismatchError(ArtifactError):
    """An IPFS node answered a different CID than the one computed locally for the same bytes."""


class StoreUnavailableError(ArtifactError):
    """The configured store cannot be reached or did not answer in time."""
