"""Direct messages in their person's language (the People port), what a channel sees in its own."""

from tests.unit.test_policy import _world


class FrenchSpeakers:
    """The People port: UALICE and UDAVE read French, everyone else English."""

    def locale(self, user: str | None) -> str:
        return "fr" if user in ("UALICE", "UDAVE") else "en"


def test_direct_messages_are_in_their_persons_language_and_the_thread_in_the_channels():
    world = _world()
    world.people = FrenchSpeakers()
    world.service = world._service()
    request = world.file()
    world.service.poll_once()  # the approvers told, each by direct message
    told = {c: t for c, t, _ in world.notifier.texts if c in ("UDAVE", "UBOB")}
    assert told["UDAVE"].startswith(f":inbox_tray: La demande #{request.id} (`")
    assert "attend votre approbation (règle *health data*). Voir <" in told["UDAVE"]
    assert told["UBOB"].startswith(f":inbox_tray: Request #{request.id} (`")
    world.service.decisions.approve(request.id, "UBOB", "ok for me")
    world.service.decisions.approve(request.id, "USEC")
    world.service.deliver_notices()
    (dm,) = [t for c, t, _ in world.notifier.texts if c == "UALICE"]
    assert dm.startswith(f"Votre demande #{request.id} (`") and "a été approuvée par <@USEC> ; voir <" in dm
    thread = [t for c, t, _ in world.notifier.texts if c == "COPS"]
    assert any(t.startswith(":ballot_box_with_check: <@UBOB> approved request") for t in thread)


def test_a_plans_requester_reads_its_decision_in_their_language_and_the_thread_in_the_channels():
    world = _world()
    world.people = FrenchSpeakers()
    world.service = world._service()
    plans = world.service.plans
    plan = plans.file_plan("pcc-src", 10, "pcc-dst", 20, (), "UALICE", "COPS")
    plans.approve(plan.id, "USEC", "fenêtre validée")
    world.service.deliver_notices()
    thread = [t for c, t, _ in world.notifier.texts if c == "COPS" and f"plan #{plan.id}" in t]
    assert any(
        t.startswith(f":ballot_box_with_check: <@USEC> approved plan #{plan.id} (rule ") for t in thread
    )
    assert any("1 of 2 approval(s): <@USEC>" in t and "fenêtre validée" in t for t in thread)
    plans.reject(plan.id, "UBOB", "pas cette semaine")
    world.service.deliver_notices()
    (dm,) = [t for c, t, _ in world.notifier.texts if c == "UALICE"]
    assert dm == f"Votre plan #{plan.id} (2 datastore(s)) a été rejeté par <@UBOB>.\n> pas cette semaine"
    assert any(
        t == f"<@UBOB> rejected plan #{plan.id}:\n> pas cette semaine" for c, t, _ in world.notifier.texts
    )


def test_a_form_list_answers_in_the_language_already_known_without_asking_slack():
    """Slack wants a list's options within 3 s: the person's language as cached (the command that
    opened the form read it), never a users.info call on that path."""
    from unittest.mock import Mock

    from slack_bolt import Ack, BoltContext

    from bot.adapters.slack.people import SlackPeople
    from bot.domain import OvhApiError
    from handlers import form
    from handlers.wiring import KEY, Wiring
    from tests.unit.test_listeners import Inline

    client = Mock()
    client.users_info.return_value = {"user": {"locale": "fr-FR"}}
    people = SlackPeople(client, fallback="en")
    world = _world()
    # the list could not load
    world.gateway.list_pccs = Mock(side_effect=OvhApiError("HTTP 503"))  # type: ignore[method-assign]
    world.service = world._service()
    wiring = Wiring(world.service, Inline(), Inline(), people.locale, people.known)
    body = {"action_id": "src_pcc", "value": "", "view": {}, "user": {"id": "UFRANCOIS"}}
    said = []
    for _ in range(2):
        ack = Mock(spec=Ack)
        form.on_form_options(ack=ack, body=body, context=BoltContext({KEY: wiring}))
        said.append(ack.call_args.kwargs["options"][0]["text"]["text"])
        people.locale("UFRANCOIS")  # what `/pcc migrate` does first
    assert client.users_info.call_count == 1  # only the command asked Slack
    assert said[0].startswith("Could not load the list: OVHcloud API error: HTTP 503; type again")
    assert said[1].startswith("Liste impossible à charger : OVHcloud API error: HTTP 503 ; retapez")
