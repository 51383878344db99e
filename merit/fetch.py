"""Fetch-through: an artifact the local store lacks is fetched from the OpenMerit API
(`GET {api_url}/artifacts/{cid}`), its CID computed from the bytes that came back, and kept in the
local store only when that CID is the one asked for. A mismatch is refused and nothing is stored.

An IPFS node (the kubo backend) fetches from the network by itself; fetch-through is for the
embedded store, which holds only what was put into it.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

import httpx

from dao.artifacts.cid import normalize_cid
from dao.artifacts.errors import (
    ArtifactError,
    ArtifactNotFoundError,
    CidMismatchError,
    StoreUnavailableError,
    UnsupportedCidError,
)
from dao.artifacts.store import ArtifactSource, ArtifactStat, ArtifactStore, compute_artifact_cid

MEMORY_LIMIT = 8 * 1024 * 1024  # a download larger than this is spooled to a temporary file


def download(api_url: str, cid: str, timeout: float = 60.0) -> BinaryIO:
    """The API's bytes for `cid`, in a file positioned at its start; the bytes are not checked here."""
    url = f"{api_url.rstrip('/')}/artifacts/{cid}"
    spool = tempfile.SpooledTemporaryFile(max_size=MEMORY_LIMIT)  # noqa: SIM115 - returned open, the caller closes it
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            if response.status_code == 404:
                raise ArtifactNotFoundError(cid, f"artifact {cid} is not in the local store, nor at the API {api_url}")
            if response.status_code == 422:
                raise UnsupportedCidError(f"the API at {api_url} refuses {cid}: {_detail(response)}")
            if response.status_code != 200:
                raise StoreUnavailableError(
                    f"artifact {cid} is not in the local store, and the API at {api_url} answered "
                    f"{response.status_code}: {_detail(response)}"
                )
            for piece in response.iter_bytes():
                spool.write(piece)
    except httpx.HTTPError as error:
        spool.close()
        raise StoreUnavailableError(
            f"artifact {cid} is not in the local store, and the API at {api_url} cannot be reached: {error}"
        ) from None
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool  # type: ignore[return-value]


def _detail(response: httpx.Response) -> str:
    try:
        response.read()
        detail = response.json().get("detail")
        return str(detail) if detail else response.text[:200]
    except Exception:  # not JSON: the start of the body says enough
        return response.text[:200]


def fetch_verified(store: ArtifactStore, cid: str, api_url: str, timeout: float = 60.0) -> str:
    """Fetches `cid` from the API into `store`, pinned, after checking the bytes hash to it;
    returns the CID (base32 CIDv1). CidMismatchError when they do not (nothing is stored)."""
    wanted = normalize_cid(cid)
    with download(api_url, wanted, timeout) as content:
        got = compute_artifact_cid(content)
        if got != wanted:
            raise CidMismatchError(
                f"the API at {api_url} sent bytes whose CID is {got}, not {wanted}: refused, nothing stored"
            )
        content.seek(0)
        stored = store.put(content, pin=True)
    if stored != wanted:  # the store's importer and compute_artifact_cid are the same one
        raise CidMismatchError(f"the store kept {wanted}'s bytes under {stored}")
    return wanted


class FetchThroughStore(ArtifactStore):
    """A local store that fetches (and verifies, and keeps) what it lacks from the API on reads of
    whole artifacts: get, open, iter_content, stat, has, export_car. Writes go to the local store."""

    def __init__(self, local: ArtifactStore, api_url: str, timeout: float = 60.0) -> None:
        self.local = local
        self.api_url = api_url
        self.timeout = timeout
        self.fetched: list[str] = []  # what came through the API, in order

    def ensure(self, cid: str) -> None:
        """Fetches `cid` when the local store lacks any block of it."""
        if self.local.has(cid):
            return
        self.fetched.append(fetch_verified(self.local, cid, self.api_url, self.timeout))

    # -- block layer and pins: the local store's ---------------------------------------------

    def read_block(self, cid: bytes) -> bytes:
        return self.local.read_block(cid)

    def write_block(self, cid: bytes, data: bytes) -> None:
        self.local.write_block(cid, data)

    def has_block(self, cid: bytes) -> bool:
        return self.local.has_block(cid)

    def put(self, source: ArtifactSource, *, pin: bool = True) -> str:
        return self.local.put(source, pin=pin)

    def pin(self, cid: str) -> None:
        self.ensure(cid)
        self.local.pin(cid)

    def unpin(self, cid: str) -> None:
        self.local.unpin(cid)

    def is_pinned(self, cid: str) -> bool:
        return self.local.is_pinned(cid)

    def close(self) -> None:
        self.local.close()

    # -- whole artifacts: fetched through when missing -----------------------------------------

    def iter_content(self, cid: str) -> Iterator[bytes]:
        self.ensure(cid)
        return self.local.iter_content(cid)

    def open(self, cid: str) -> io.BufferedReader:
        self.ensure(cid)
        return self.local.open(cid)

    def get(self, cid: str) -> bytes:
        self.ensure(cid)
        return self.local.get(cid)

    def stat(self, cid: str) -> ArtifactStat:
        self.ensure(cid)
        return self.local.stat(cid)

    def has(self, cid: str) -> bool:
        try:
            self.ensure(cid)
        except ArtifactNotFoundError:
            return False
        except ArtifactError:
            return self.local.has(cid)
        return True

    def export_car(self, cid: str, out: BinaryIO) -> int:
        self.ensure(cid)
        return self.local.export_car(cid, out)
