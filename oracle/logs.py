"""Structured logs: one JSON object per line (time, level, logger, message and every `extra`
field), so a log collector can filter the oracle's records by epoch, step or transaction."""

from __future__ import annotations

import json
import logging
import sys
from typing import IO

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, sort_keys=False)


def configure(level: int = logging.INFO, stream: IO[str] | None = None) -> None:
    """JSON lines on `stream` (stderr by default) for the `oracle` loggers."""
    handler = logging.StreamHandler(stream or sys.stderr)
    formatter = JsonFormatter()
    formatter.converter = __import__("time").gmtime
    handler.setFormatter(formatter)
    logger = logging.getLogger("oracle")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
