"""The listeners on their own, with Bolt's types as mocks: each acks once, then calls one use case and
renders. (The same listeners over signed HTTP: tests/boundary/test_http*.py.)"""

from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any
from unittest.mock import Mock

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.adapters.slack import ids
from bot.domain import State
from handlers import actions, commands, form, home
from handlers.wiring import KEY, Wiring
from tests.world import SPEC, World


class Inline(Executor):
    """Runs work at once, in the caller's thread, so a test sees its outcome."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        done: Future[Any] = Future()
        done.set_result(fn(*args, **kwargs))
        return done


def context(world: World) -> BoltContext:
    return BoltContext({KEY: Wiring(service=world.service, commands=Inline(), clicks=Inline())})


def command(text: str, user: str = "UALICE") -> dict[str, Any]:
    return {"text": text, "user_id": user, "channel_id": "COPS", "trigger_id": "1.2.x"}


def test_the_command_acks_first_then_answers(world):
    ack, respond, client = Mock(spec=Ack), Mock(spec=Respond), Mock(spec=WebClient)
    commands.on_pcc(ack=ack, command=command("help"), respond=respond, client=client, context=context(world))
    ack.assert_called_once_with()
    assert "`/pcc filers" in respond.call_args.kwargs["text"]


def test_a_refused_command_is_told_not_raised(world):
    ack, respond = Mock(spec=Ack), Mock(spec=Respond)
    commands.on_pcc(
        ack=ack,
        command=command("status 99"),
        respond=respond,
        client=Mock(spec=WebClient),
        context=context(world),
    )
    ack.assert_called_once_with()
    assert "request #99 not found" in respond.call_args.kwargs["text"]


def click(world: World, listener: Callable[..., None], action_id: str, value: str) -> Mock:
    """UBOB clicks: the listener must ack once; returns the mocked respond."""
    ack, respond = Mock(spec=Ack), Mock(spec=Respond)
    action = {"action_id": action_id, "value": value}
    client = {"client": Mock(spec=WebClient)} if listener is actions.on_click else {}
    listener(
        ack=ack,
        body={"user": {"id": "UBOB"}},
        action=action,
        respond=respond,
        context=context(world),
        **client,
    )
    ack.assert_called_once_with()
    return respond


def test_a_click_approves_for_the_clicker(world):
    request = world.file(SPEC)
    respond = click(world, actions.on_click, ids.APPROVE, str(request.id))
    assert world.repo.requests.get(request.id).state == State.REPLICATING
    respond.assert_not_called()  # the card shows it


def test_adopting_needs_a_candidate(world):
    request = world.file(SPEC)
    respond = click(world, actions.on_settle, ids.ADOPT, f"{request.id}:{request.episode}:5")
    assert "there is no task to choose" in respond.call_args.kwargs["text"]


def test_a_settling_button_without_the_call_it_is_about_is_refused_clearly(world):
    request = world.file(SPEC)
    respond = click(world, actions.on_settle, ids.CLOSE_NOT_STARTED, str(request.id))
    assert "use the request's card" in respond.call_args.kwargs["text"]


def test_the_home_tab_is_published_for_the_person(world):
    world.file(SPEC)
    client = Mock(spec=WebClient)
    home.on_home_opened(event={"user": "UBOB"}, client=client, context=context(world))
    view = client.views_publish.call_args.kwargs["view"]
    assert client.views_publish.call_args.kwargs["user_id"] == "UBOB"
    assert "Waiting for your approval" in str(view) and "ssd-000100" in str(view)


def test_form_options_answer_from_memory(world):
    ack = Mock(spec=Ack)
    form.on_form_options(
        ack=ack,
        body={"action_id": "src_pcc", "value": "", "view": {}, "user": {"id": "UALICE"}},
        context=context(world),
    )
    values = [option["value"] for option in ack.call_args.kwargs["options"]]
    assert values == ["pcc-plain", "pcc-sbg", "pcc-src"]  # the fake answers at once: loaded inline
