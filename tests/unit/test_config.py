import pytest

from bot.ops.config import ConfigError, load

GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-1",
    "SLACK_APP_TOKEN": "xapp-1",
    "PCC_APPROVERS": "U1ABC, S2DEF",
    "OVH_APPLICATION_KEY": "ak",
    "OVH_APPLICATION_SECRET": "as",
    "OVH_CONSUMER_KEY": "ck",
}


def test_defaults_and_values():
    config = load(GOOD)
    assert config.approvers == {"U1ABC", "S2DEF"}
    assert config.poll_seconds == 60 and config.policy.source_zone == "sbg1a"
    assert config.ovh.endpoint == "ovh-eu" and config.migration_api == "linkFilerFromSbg"
    config.require_for_serve(http=False)


def test_every_invalid_variable_is_listed_at_once():
    with pytest.raises(ConfigError) as caught:
        load(
            {
                "PCC_APPROVERS": "bob",
                "PCC_POLL_SECONDS": "soon",
                "PCC_MIGRATION_API": "moveFiler",
                "OVH_ENDPOINT": "http://localhost:1",
                "PCC_INCIDENT_CHANNEL": "#incident",
            }
        )
    assert len(caught.value.problems) == 5


def test_serve_lists_every_missing_variable():
    with pytest.raises(ConfigError) as caught:
        load({}).require_for_serve(http=True)
    text = str(caught.value)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "PCC_APPROVERS", "OVH_APPLICATION_KEY"):
        assert name in text


def test_secrets_are_not_in_the_repr():
    shown = repr(load({**GOOD, "SLACK_BOT_TOKEN": "xoxb-SECRET1", "OVH_APPLICATION_SECRET": "SECRET2"}))
    assert "SECRET1" not in shown and "SECRET2" not in shown


def test_a_database_url_never_shows_its_password():
    from bot.ops.config import load

    config = load({"PCC_DATABASE_URL": "postgresql://pcc:s3cret-pw@db.internal:5432/pcc"}, read_dotenv=False)
    assert config.database == "postgresql://pcc:s3cret-pw@db.internal:5432/pcc" and config.shared_database
    assert "s3cret-pw" not in repr(config) and "s3cret-pw" not in config.database_shown
    assert config.database_shown == "postgresql://pcc:***@db.internal:5432/pcc"
    assert load({}, read_dotenv=False).database == "./pcc-bot.db"  # SQLite unless told otherwise
