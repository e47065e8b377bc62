"""No log level prints what the database stores: the drivers' DEBUG records carry values.

`Database` passes `hide_parameters=True`, so SQLAlchemy's statement log (INFO/DEBUG on
`sqlalchemy.engine`) and its error messages never show bound values. Two DEBUG records still would:
SQLAlchemy's "Row %r" (every fetched row: participants' emails and names, transcripts) and aiosqlite's
"executing <partial(execute, sql, parameters)>". Filters on those loggers drop them whatever level an
operator sets, so turning on DEBUG to chase a problem never writes personal data or secrets to the logs.
"""

from __future__ import annotations

import logging

__all__ = ["install"]


class _NoRows(logging.Filter):
    """SQLAlchemy's engine logger without the fetched rows (statements and timings stay)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno <= logging.DEBUG and str(record.msg).startswith("Row "))


class _NoDebug(logging.Filter):
    """aiosqlite's DEBUG records print each call with its arguments; its warnings and errors stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_FILTERS: dict[str, logging.Filter] = {"sqlalchemy.engine.Engine": _NoRows(), "aiosqlite": _NoDebug()}


def install() -> None:
    """Idempotent: each filter is added once."""
    for name, log_filter in _FILTERS.items():
        logger = logging.getLogger(name)
        if log_filter not in logger.filters:
            logger.addFilter(log_filter)
