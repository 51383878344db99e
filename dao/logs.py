"""Structured logs for every OpenMerit service: one JSON object a line (time, level, logger,
message and every `extra` field), so a log collector can filter records by epoch, step,
transaction or request. The oracle, the API and the indexer all configure their loggers here."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import IO

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # values JSON cannot carry (paths, hashes, enums) are written as their str()
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(
    *logger_names: str, json_lines: bool = True, level: int = logging.INFO, stream: IO[str] | None = None
) -> None:
    """Sends the named loggers (a service's own, and "dao" for the shared seams it runs, such as the
    RPC retries of dao.chain) to `stream` (stderr by default), as JSON lines or plain text."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter("%(levelname)s %(name)s %(message)s"))
    for name in logger_names:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
