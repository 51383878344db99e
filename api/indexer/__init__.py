"""The chain indexer: follows the deployment's events into SQL, with reorg handling.

`follower` owns the loop (ranges, reorgs, retries), `decoding` turns raw logs into typed events
from the ABIs, `ingest` writes them and derives contributions and epochs from them, and
`verification` checks each funded epoch's report against the index and its recomputation.
"""

from api.indexer.follower import Indexer, IndexerStats, RangeRefused, RpcError

__all__ = ["Indexer", "IndexerStats", "RangeRefused", "RpcError"]
