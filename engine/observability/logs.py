"""Log output: plain text for a terminal (the default) or one JSON object a line for a log collector
(`IE_LOG_FORMAT=json`). Both carry the request id and the session id when the line has one.

JSON keys: `timestamp` (UTC, ISO 8601, milliseconds), `level`, `logger`, `message`, then `request_id`
and `session_id` when known, and `exc_info` (the formatted traceback) when an exception was logged.
Secrets stay out because the engine never logs them in the first place: join and public-link tokens
are redacted from paths (engine/api/access_log.py), API keys and passwords are never passed to a
logger, and the request id is checked before it is echoed (engine/observability/context.py).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

from engine.observability.context import current_request_id, current_session_id

__all__ = ["ContextFilter", "JsonFormatter", "LogFormat", "configure_logging", "log_handler"]

LogFormat = Literal["text", "json"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"


class ContextFilter(logging.Filter):
    """Stamps each record with the request and session it was logged under (a `request_id=` or
    `session_id=` passed in `extra` wins). On the handler, not a logger, so records propagated up from
    every module's logger get it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        if getattr(record, "session_id", None) is None:
            record.session_id = current_session_id()
        parts = [f"{key}={value}" for key in ("request_id", "session_id") if (value := getattr(record, key))]
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line; anything a line carries that JSON cannot hold becomes its `str()`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "session_id"):
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def log_handler(log_format: LogFormat, stream: Any = None) -> logging.Handler:
    """A stream handler (stderr unless `stream`) in the given format, with the context filter."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(level: str, log_format: LogFormat) -> None:
    """The root logger for the `interview-engine` command (the server and the tools alike)."""
    logging.basicConfig(level=level.upper(), handlers=[log_handler(log_format)])
