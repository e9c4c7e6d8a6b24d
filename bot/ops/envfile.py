"""`.env.example`, written from the settings' table (settings.py): every variable, its meaning and its
default. `make env-example` rewrites the file; a test holds the file equal to what this writes."""

from __future__ import annotations

from bot.ops.variables import SETTINGS

HEADER = """\
# pcc-bot's environment: copy to .env (never committed) and fill in. Written from bot/ops/variables.py by
# `make env-example` (a test holds them equal); docs/configuration.md says more about each variable.
# A commented line shows the default a variable has when unset; (secret) ones never show in logs.
"""


def env_example() -> str:
    lines = [HEADER]
    for setting in SETTINGS:
        secret = " (secret)" if setting.secret else ""
        lines.append(f"# {setting.doc.replace('`', '')}{secret}")
        lines.append(f"# {setting.name}={setting.default}" if setting.default else f"{setting.name}=")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(env_example(), end="")
