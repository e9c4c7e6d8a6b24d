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
