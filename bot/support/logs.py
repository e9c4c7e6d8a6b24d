"""Logging: one line per event, text or JSON, with the Slack user and request id, secrets masked."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO

_SECRETS = re.compile(
    r"(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|https://hooks\.slack\.com/\S+|v0=[0-9a-f]{16,})"
)
_user: ContextVar[str | None] = ContextVar("slack_user", default=None)
_request: ContextVar[int | None] = ContextVar("request_id", default=None)


@contextmanager
def context(*, user: str | None = None, request_id: int | None = None) -> Iterator[None]:
    """Tag every log line written inside the block with the Slack user and/or the request id."""
    user_token = _user.set(user) if user is not None else None
    request_token = _request.set(request_id) if request_id is not None else None
    try:
        yield
    finally:
        if request_token is not None:
            _request.reset(request_token)
        if user_token is not None:
            _user.reset(user_token)


def current_user() -> str | None:
    """The Slack user the current work is for (None for the scheduler's own work)."""
    return _user.get()


def redact(text: str) -> str:
    return _SECRETS.sub("[redacted]", text)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.slack_user = _user.get()
        record.request_id = _request.get()
        return True


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        tags = "".join(
            f" {name}={value}"
            for name, value in (
                ("user", getattr(record, "slack_user", None)),
                ("request", getattr(record, "request_id", None)),
            )
            if value is not None
        )
        line = f"{self.formatTime(record)} {record.levelname} {record.name}{tags}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


#: What every LogRecord has: anything else on a record came from ``extra=`` and is logged as a field.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "slack_user", "request_id"}


def _field(value: object) -> object:
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: UTC time to the millisecond, level, logger, message, the Slack user and
    request id, every ``extra=`` field (secrets masked), and the traceback as ``error``."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, object] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "user": getattr(record, "slack_user", None),
            "request_id": getattr(record, "request_id", None),
        }
        for name, value in record.__dict__.items():
            if name not in _STANDARD and name not in entry:
                entry[name] = _field(value)
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def setup(level: str = "INFO", fmt: str = "text", stream: IO[str] | None = None) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Bolt logs whole request bodies (with response_url) at INFO on signature failures, and
    # slack_sdk logs bodies at DEBUG: keep them at WARNING whatever LOG_LEVEL says.
    for noisy in ("slack_bolt", "slack_sdk", "urllib3", "apscheduler", "waitress"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # Bolt reads SLACK_BOT_TOKEN from the environment by itself, then warns that the client we hand
    # it (the same token, our base URL) wins: true, expected, and said at every start.
    logging.getLogger("slack_bolt.App").addFilter(lambda record: "will be unused" not in record.getMessage())


def quiet_libraries() -> None:
    """For a command that prints its own report (doctor): the libraries' own error lines would only
    repeat, less clearly, what the report says."""
    for noisy in ("slack_bolt", "slack_sdk", "urllib3", "ovh"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
