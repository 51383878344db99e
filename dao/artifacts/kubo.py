"""The Kubo backend: artifacts on an IPFS node, through its RPC API with `ipfshttpclient`.

- The client is built directly (`ipfshttpclient.Client(addr)`): `connect()` refuses every current
  daemon version, and the calls used here work on Kubo and js-ipfs alike.
- `add` is sent with the options that make the node's CID that of the embedded store
  (CIDv1, raw leaves, 256 KiB chunks, sha2-256); the same bytes are run through the local importer
  as they stream out, and a node that answers another CID is refused (CidMismatchError).
- Every call has a client timeout, and the node is given a `timeout` of its own for lookups: an
  offline node asked for a block it lacks would otherwise wait forever.
- Reads fetch blocks (`block/get`) and verify each against its CID here, so what is served was
  checked by OpenMerit, not only by the node. Blocks go in through `dag/import` (CARv1), which
  Kubo and js-ipfs both take for any codec.
- CIDs from the node (js-ipfs answers base58btc, pins may be CIDv0) are normalized to base32 CIDv1.
"""

from __future__ import annotations

import tempfile
import warnings
from typing import IO, Any, BinaryIO, NoReturn
from urllib.parse import urlsplit

import ipfshttpclient
import ipfshttpclient.exceptions as ipfs_errors

from dao.artifacts.car import StagedCar, check_roots_complete, encode_header, stage_car
from dao.artifacts.cid import block_matches, cid_to_str, normalize_cid
from dao.artifacts.config import DEFAULT_KUBO_URL
from dao.artifacts.dagpb import encode_varint
from dao.artifacts.errors import (
    ArtifactNotFoundError,
    CidMismatchError,
    CorruptBlockError,
    InvalidCidError,
    NotPinnedError,
    StoreUnavailableError,
)
from dao.artifacts.store import ArtifactSource, ArtifactStore, read_pieces
from dao.artifacts.unixfs import CHUNK_SIZE, FileImporter

# What the node must be told so its CID is the embedded store's (Kubo's own CIDv1 defaults).
ADD_OPTIONS: dict[str, Any] = {
    "cid_version": 1,
    "raw_leaves": True,
    "chunker": f"size-{CHUNK_SIZE}",
    "trickle": False,
}
ADD_EXTRA_PARAMS = {"hash": "sha2-256", "cid-base": "base32"}

# Answers that mean "the node does not have it" rather than "the node is broken".
_NOT_FOUND_MARKERS = ("not found", "timed out", "timeout", "deadline exceeded", "no link named", "not have")


def rpc_multiaddr(url: str) -> str:
    """The multiaddr `ipfshttpclient` wants, from an RPC URL (`http://127.0.0.1:5001`) or a
    multiaddr (`/ip4/127.0.0.1/tcp/5001/http`)."""
    if url.startswith("/"):
        return url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"a Kubo RPC address is http(s)://HOST:PORT or a multiaddr, got {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 5001)
    host = parts.hostname
    if host.replace(".", "").isdigit():
        protocol = "ip4"
    elif ":" in host:
        protocol = "ip6"
    else:
        protocol = "dns"
    return f"/{protocol}/{host}/tcp/{port}/{parts.scheme}"


class _HashingReader:
    """Hands a stream to the client while running the same bytes through the local importer."""

    def __init__(self, source: ArtifactSource) -> None:
        self._pieces = read_pieces(source)
        self._pending = memoryview(b"")
        self.importer = FileImporter()
        self.name = "artifact"

    def read(self, size: int = -1) -> bytes:
        if not self._pending:
            piece = next(self._pieces, None)
            if piece is None:
                return b""
            self.importer.add(piece)  # blocks are dropped: only the root CID is wanted
            self._pending = memoryview(piece)
        if size is None or size < 0:
            size = len(self._pending)
        out = bytes(self._pending[:size])
        self._pending = self._pending[size:]
        return out


class KuboStore(ArtifactStore):
    """Artifacts on an IPFS node (Kubo, or js-ipfs for tests) reached over its RPC API."""

    def __init__(
        self,
        url: str = DEFAULT_KUBO_URL,
        *,
        timeout_seconds: float = 120.0,
        lookup_timeout_seconds: float = 10.0,
    ) -> None:
        self.url = url
        self.timeout_seconds = timeout_seconds
        self.lookup_timeout_seconds = lookup_timeout_seconds
        self._client = ipfshttpclient.Client(rpc_multiaddr(url), session=True, timeout=timeout_seconds)

    def close(self) -> None:
        self._client.close()

    def version(self) -> str:
        """The node's version string (also a cheap check that it answers)."""
        return str(self._call(self._client.version, timeout=self.timeout_seconds)["Version"])

    # -- block layer -------------------------------------------------------------------------

    def read_block(self, cid: bytes) -> bytes:
        name = cid_to_str(cid)
        data = self._call(self._client.block.get, name, **self._lookup_args(), missing=name)
        if not block_matches(cid, data):
            raise CorruptBlockError(
                name, f"the node at {self.url} served block {name} with bytes that do not match its hash"
            )
        return bytes(data)

    def write_block(self, cid: bytes, data: bytes) -> None:
        if not block_matches(cid, data):
            raise CorruptBlockError(
                cid_to_str(cid), f"refused to store block {cid_to_str(cid)}: the bytes do not match its hash"
            )
        with tempfile.NamedTemporaryFile(prefix="openmerit-block-", suffix=".car") as car:
            car.write(encode_header([cid]) + encode_varint(len(cid) + len(data)) + cid)
            car.write(data)
            car.seek(0)
            self._dag_import(car, pin_roots=False)

    def has_block(self, cid: bytes) -> bool:
        try:
            self._call(
                self._client.block.stat, cid_to_str(cid), offline=True, **self._lookup_args(), missing=cid_to_str(cid)
            )
        except ArtifactNotFoundError:
            return False
        return True

    # -- artifacts ---------------------------------------------------------------------------

    def put(self, source: ArtifactSource, *, pin: bool = True) -> str:
        reader = _HashingReader(source)
        answer = self._call(
            self._client.add, reader, pin=pin, **ADD_OPTIONS, opts=dict(ADD_EXTRA_PARAMS), timeout=self.timeout_seconds
        )
        reader.importer.finish()
        expected = cid_to_str(reader.importer.root_cid)
        answered = self._normalize(answer["Hash"])
        if answered != expected:
            raise CidMismatchError(
                f"the node at {self.url} stored the artifact as {answered}, but its CID is {expected}: "
                "the node does not honour cid-version=1, raw-leaves, 256 KiB chunks"
            )
        return answered

    def pin(self, cid: str) -> None:
        name = normalize_cid(cid)
        self._call(
            self._client.pin.add,
            name,
            opts={"timeout": self._node_timeout()},
            timeout=self._lookup_client_timeout(),
            missing=name,
        )

    def unpin(self, cid: str) -> None:
        name = normalize_cid(cid)
        try:
            self._call(self._client.pin.rm, name, timeout=self.timeout_seconds)
        except StoreUnavailableError as exc:
            if "not pinned" in str(exc):
                raise NotPinnedError(f"{name} is not pinned") from None
            raise

    def is_pinned(self, cid: str) -> bool:
        name = normalize_cid(cid)
        try:
            answer = self._call(self._client.pin.ls, name, type="recursive", timeout=self.timeout_seconds)
        except StoreUnavailableError as exc:
            if "not pinned" in str(exc):
                return False
            raise
        return any(self._normalize(key) == name for key in answer.get("Keys", {}))

    def import_car(self, source: BinaryIO, *, pin: bool = True) -> list[str]:
        """Checks the whole CAR here first (nothing reaches the node from a bad one), then sends
        its blocks to the node in one `dag/import`."""
        staged = stage_car(source)
        try:
            check_roots_complete(self, staged)
            with tempfile.NamedTemporaryFile(prefix="openmerit-car-", suffix=".car") as car:
                _write_staged(staged, car)
                car.seek(0)
                self._dag_import(car, pin_roots=pin)
        finally:
            staged.close()
        return [cid_to_str(root) for root in staged.roots]

    # -- plumbing ----------------------------------------------------------------------------

    def _dag_import(self, car: IO[bytes], *, pin_roots: bool) -> None:
        # Streamed: the node answers one line per root (none without pinning), which the
        # client's single-answer wrapper would refuse.
        answers = self._call(
            self._client.dag.imprt,
            car,
            opts={"pin-roots": "true" if pin_roots else "false"},
            stream=True,
            timeout=self.timeout_seconds,
        )
        for answer in self._call(list, answers):
            root = answer.get("Root", {})
            if root.get("PinErrorMsg"):
                raise StoreUnavailableError(
                    f"the node at {self.url} could not pin {root.get('Cid')}: {root['PinErrorMsg']}"
                )

    def _node_timeout(self) -> str:
        return f"{self.lookup_timeout_seconds:g}s"

    def _lookup_client_timeout(self) -> float:
        # The node gives up first and says why; the client only catches a node that hangs.
        return self.lookup_timeout_seconds + 5.0

    def _lookup_args(self) -> dict[str, Any]:
        return {"opts": {"timeout": self._node_timeout()}, "timeout": self._lookup_client_timeout()}

    def _normalize(self, answered: object) -> str:
        try:
            return normalize_cid(str(answered))
        except InvalidCidError:
            raise StoreUnavailableError(
                f"the node at {self.url} answered {answered!r} where a CID was expected"
            ) from None

    def _call(self, method: Any, *args: Any, missing: str | None = None, **kwargs: Any) -> Any:
        """Runs one RPC call, turning the client's errors into the store's."""
        try:
            with warnings.catch_warnings():
                # ipfshttpclient 0.7 hands urllib3 an argument it deprecates; users cannot act on it.
                warnings.filterwarnings("ignore", message="The 'strict' parameter", category=FutureWarning)
                return method(*args, **kwargs)
        except ipfs_errors.ErrorResponse as exc:
            message = str(exc)
            if missing is not None and any(marker in message.lower() for marker in _NOT_FOUND_MARKERS):
                raise ArtifactNotFoundError(
                    missing, f"block {missing} is not on the node at {self.url} ({message})"
                ) from None
            raise StoreUnavailableError(f"the node at {self.url} refused the request: {message}") from None
        except ipfs_errors.TimeoutError:
            if missing is not None:
                raise ArtifactNotFoundError(
                    missing, f"the node at {self.url} did not find block {missing} in time"
                ) from None
            _unavailable(self.url, "did not answer in time")
        except ipfs_errors.ConnectionError as exc:
            _unavailable(self.url, f"cannot be reached ({exc.__class__.__name__})")
        except ipfs_errors.Error as exc:
            _unavailable(self.url, f"failed: {exc}")


def _unavailable(url: str, what: str) -> NoReturn:
    raise StoreUnavailableError(f"the IPFS node at {url} {what}") from None


def _write_staged(staged: StagedCar, out: IO[bytes]) -> None:
    out.write(encode_header(staged.roots))
    for block_cid, block in staged.blocks():
        out.write(encode_varint(len(block_cid) + len(block)) + block_cid)
        out.write(block)
