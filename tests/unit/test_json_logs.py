"""JSON log lines: the time to the millisecond in UTC, and what a caller passes with ``extra=``."""

import io
import json
import logging
import re

from bot.support import logs


def test_json_lines_have_milliseconds_and_extra_fields_with_secrets_masked():
    stream = io.StringIO()
    logger = logging.getLogger("pcc-bot.test-json")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        with logs.context(user="UALICE", request_id=7):
            logger.warning(
                "copy %s",
                "started",
                extra={"task_id": 42, "seconds": 1.5, "token": "xoxb-123-abc", "ok": True},
            )
        logger.info("plain")
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["time"])
    assert first["message"] == "copy started" and first["level"] == "WARNING"
    assert (first["task_id"], first["seconds"], first["ok"]) == (42, 1.5, True)
    assert first["token"] == "[redacted]"
    assert not {"task_id", "args", "msg", "created", "threadName"} & set(second)
