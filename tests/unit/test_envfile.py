""".env.example is the settings' table written out: every variable, its meaning, its default."""

import io
from pathlib import Path

from dotenv import dotenv_values

from bot.ops import config
from bot.ops.envfile import env_example
from bot.ops.variables import SETTINGS

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_is_written_from_the_settings():
    assert (ROOT / ".env.example").read_text() == env_example(), "run `make env-example`"


def test_every_variable_is_there_and_a_copy_loads_as_the_defaults():
    text = env_example()
    for setting in SETTINGS:
        assert f"{setting.name}=" in text, setting.name
    values = dotenv_values(stream=io.StringIO(text))
    assert set(values) == {s.name for s in SETTINGS if not s.default}  # the rest stay commented
    assert config.load({k: v or "" for k, v in values.items()}) == config.load({})
