"""The chain indexer: follows the deployment's events into SQL, with reorg handling.

`follower` owns the loop (ranges, reorgs, retries), `decoding` turns raw logs into typed events
from the ABIs, and `ingest` writes them and derives contributions and epochs from them.
"""

from api.indexer.follower import Indexer, IndexerStats, RangeRefused, RpcError

__all__ = ["Indexer", "IndexerStats", "RangeRefused", "RpcError"]
