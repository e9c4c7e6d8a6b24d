"""The form's lists: served from memory, loaded in the background, never stuck loading."""

import contextlib
from typing import Any

import pytest

from bot.domain import PccBotError
from bot.usecases.warm_lists import WarmLists


class Later:
    """A background that runs loads when told."""

    def __init__(self) -> None:
        self.queued: list[Any] = []

    def __call__(self, load) -> None:
        self.queued.append(load)

    def run(self) -> None:
        while self.queued:
            self.queued.pop(0)()


def test_a_list_is_loading_then_served_then_refreshed_when_stale():
    now = [0.0]
    later = Later()
    lists = WarmLists(later, clock=lambda: now[0], fresh_seconds=120)
    loads = []

    def load():
        loads.append(1)
        return [len(loads)]

    assert lists.get("k", load).items is None  # loading
    assert lists.get("k", load).items is None and len(later.queued) == 1  # one load, not two
    later.run()
    assert lists.get("k", load).items == [1]
    now[0] = 121
    assert lists.get("k", load).items == [1]  # stale: served while it reloads
    later.run()
    assert lists.get("k", load).items == [2]


@pytest.mark.parametrize(
    ("error", "said", "raised"),
    [
        (PccBotError("OVHcloud answered 503"), "OVHcloud answered 503", None),
        # a bug: raised in the background (logged there), never loading forever, no internals shown
        (RuntimeError("bug"), "the list could not be read", RuntimeError),
    ],
)
def test_a_failed_load_says_why_and_is_tried_again(error, said, raised):
    later = Later()
    lists = WarmLists(later)

    def failing():
        raise error

    lists.get("k", failing)
    with pytest.raises(raised) if raised else contextlib.nullcontext():
        later.run()
    assert lists.get("k", failing).error == said
    assert len(later.queued) == 1  # asked again: loaded again
