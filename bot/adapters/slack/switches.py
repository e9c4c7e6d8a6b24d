"""The `/pcc pause [reason]` and `/pcc resume` commands as plain values (the grammar parses them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PauseBot:
    """`/pcc pause [reason]`: no mutating call leaves, on any replica, until `/pcc resume`."""

    reason: str = ""


@dataclass(frozen=True)
class ResumeBot:
    """`/pcc resume`: the pause ends; dispatches stopped by it, or held after refusals, go on."""
