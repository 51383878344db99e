"""OpenMerit's artifact store: every contribution, benchmark and epoch report is an artifact
addressed by its IPFS CID.

- `cid`: the one CID normalization (base32 CIDv1) that the API, the oracle and the contracts'
  tests import.
- `unixfs`, `dagpb`, `dag`: the pure importer and reader of file DAGs, with Kubo's CIDs.
- `store`: the `ArtifactStore` interface; `embedded` (default, on disk) and `kubo` (an IPFS node)
  are its backends; `car` moves DAGs in and out as CARv1; `config` picks a backend from settings.
"""

from dao.artifacts.cid import CidStr, is_cid, normalize_cid
from dao.artifacts.config import ArtifactStoreSettings, open_artifact_store
from dao.artifacts.embedded import EmbeddedStore
from dao.artifacts.errors import (
    ArtifactError,
    ArtifactNotFoundError,
    CidMismatchError,
    CorruptBlockError,
    InvalidCarError,
    InvalidCidError,
    MalformedDagError,
    NotPinnedError,
    StoreUnavailableError,
    UnsupportedCidError,
)
from dao.artifacts.store import ArtifactStat, ArtifactStore, compute_artifact_cid

__all__ = [
    "ArtifactError",
    "ArtifactNotFoundError",
    "ArtifactStat",
    "ArtifactStore",
    "ArtifactStoreSettings",
    "CidMismatchError",
    "CidStr",
    "CorruptBlockError",
    "EmbeddedStore",
    "InvalidCarError",
    "InvalidCidError",
    "MalformedDagError",
    "NotPinnedError",
    "StoreUnavailableError",
    "UnsupportedCidError",
    "compute_artifact_cid",
    "is_cid",
    "normalize_cid",
    "open_artifact_store",
]
