from datetime import timedelta

import pytest

from bot.ops.config import ConfigError, load
from bot.ops.variables import SETTINGS

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


def test_every_setting_reaches_the_configuration(tmp_path):
    """A value unlike its default for each variable shows in the Config (or its credentials, or its
    zone policy): none is read and then dropped."""
    given = {
        **GOOD,
        "SLACK_SIGNING_SECRET": "signing",
        "SLACK_API_URL": "http://127.0.0.1:1/api/",
        "OVH_ENDPOINT": "ovh-ca",
        "OVH_CLIENT_ID": "id",
        "OVH_CLIENT_SECRET": "secret",
        "PCC_DB_PATH": "/tmp/other.db",
        "PCC_DATABASE_URL": "postgresql://pcc:pw@db/pcc",
        "PCC_READERS": "U9READ",
        "PCC_INCIDENT_CHANNEL": "C0INCIDENT",
        "PCC_POLL_SECONDS": "7",
        "PCC_SOURCE_ZONE": "gra1a",
        "PCC_ALLOWED_ZONES": "rbx2a",
        "PCC_MIGRATION_API": "copyFiler",
        "PCC_APPROVAL_TTL": "120",
        "PCC_STALL_SECONDS": "600",
        "PCC_OVH_RATE": "9",
        "PCC_INVENTORY_TTL": "5",
        "PCC_ALLOWED_CHANNELS": "C0OPS",
        "PCC_READ_ONLY": "1",
        "PCC_POLICY": str(tmp_path / "policy.toml"),
        "PCC_LOCALE": "fr",
        "PORT": "3001",
        "PCC_OPS_BIND": "127.0.0.1:9",
        "PCC_OPS_TOKEN": "token",
        "LOG_LEVEL": "DEBUG",
        "LOG_FORMAT": "json",
    }
    assert set(given) == {s.name for s in SETTINGS}, "a new setting needs a value here"
    (tmp_path / "policy.toml").write_text('[[rule]]\nname = "two"\napprovals = 2\n')
    config, default = load(given, read_dotenv=False), load({}, read_dotenv=False)
    assert config.approval_ttl == timedelta(seconds=120) and config.ovh.client_secret == "secret"
    assert config.policy.source_zone == "gra1a" and config.policy.allowed_zones == {"rbx2a"}
    held = {**vars(config), **vars(config.ovh)}
    unchanged = [
        name for name, value in held.items() if value == {**vars(default), **vars(default.ovh)}[name]
    ]
    assert unchanged == []


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


def test_a_database_url_with_its_password_in_the_query_never_shows_it():
    """libpq's other form (``?password=``): doctor, the start-up error and the leader's log line all
    show the location through ``redact``."""
    from bot.ops.config import load
    from bot.support.locations import redact

    url = "postgresql://pcc@db.internal/pcc?sslmode=require&password=s3cret-pw&sslpassword=k3y-pw"
    config = load({"PCC_DATABASE_URL": url}, read_dotenv=False)
    assert "s3cret-pw" not in config.database_shown and "k3y-pw" not in repr(config)
    assert (
        config.database_shown
        == "postgresql://pcc@db.internal/pcc?sslmode=require&password=***&sslpassword=***"
    )
    assert (
        redact("postgres:///pcc?host=/run/pg&password=x%40y") == "postgres:///pcc?host=/run/pg&password=***"
    )
    assert redact("postgresql://pcc:p@ss@db/pcc") == "postgresql://pcc:***@db/pcc"
