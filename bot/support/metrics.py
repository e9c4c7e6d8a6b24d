"""Counters kept in memory and the Prometheus text exposition (format 0.0.4) of all metrics."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

_ID = re.compile(r"/\d+(?=/|$)")
_SERVICE = re.compile(r"^/dedicatedCloud/[^/]+")


def route_of(path: str) -> str:
    """An API path with its ids replaced, so that metrics stay few: /dedicatedCloud/{sn}/task/{id}."""
    path = path.split("?", 1)[0]
    path = _SERVICE.sub("/dedicatedCloud/{sn}", path) if path != "/dedicatedCloud/location" else path
    return _ID.sub("/{id}", path)


class Counters:
    """Thread-safe labelled counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}

    def inc(self, name: str, amount: float = 1, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def set(self, name: str, value: float, **labels: str) -> None:
        with self._lock:
            self._values[(name, tuple(sorted(labels.items())))] = value

    def samples(self) -> list[tuple[str, dict[str, str], float]]:
        with self._lock:
            return [(name, dict(labels), value) for (name, labels), value in sorted(self._values.items())]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


Family = tuple[str, str, str, list[tuple[dict[str, str], float]]]  # name, type, help, samples


def exposition(families: Iterable[Family]) -> str:
    """Prometheus text: each family is (name, type, help, [(labels, value)])."""
    lines: list[str] = []
    for name, kind, help_text, samples in families:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            tags = ",".join(f'{key}="{_escape(val)}"' for key, val in sorted(labels.items()))
            lines.append(f"{name}{{{tags}}} {value:g}" if tags else f"{name} {value:g}")
    return "\n".join(lines) + "\n"
