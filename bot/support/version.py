"""The version of pcc-bot that runs: the installed distribution's (pyproject.toml's `version`)."""

from __future__ import annotations

from importlib import metadata

DISTRIBUTION = "pcc-bot"


def version() -> str:
    """``0.3.2``; ``0+unknown`` when the code runs without being installed (never an error)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"
