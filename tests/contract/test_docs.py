"""The docs stay true: the configuration reference is the settings table, the commands match the
grammar, the architecture tree names the files that exist, and the README stays the newcomer's page."""

import re
from pathlib import Path

from bot.adapters.slack.grammar import USAGE
from bot.ops.variables import SETTINGS

ROOT = Path(__file__).resolve().parents[2]


def test_the_configuration_reference_is_the_settings_table_each_variable_once():
    text = (ROOT / "docs" / "configuration.md").read_text()
    rows = re.findall(r"^\| `([A-Z_0-9]+)` \| (.+) \| (.+) \|$", text, re.M)
    assert [name for name, _, _ in rows] == [s.name for s in SETTINGS]
    for (_, doc, shown), setting in zip(rows, SETTINGS, strict=True):
        assert doc == setting.doc
        assert shown == (f"`{setting.default}`" if setting.default else "unset")
    readme = (ROOT / "README.md").read_text()
    assert not re.search(r"^\| `PCC_[A-Z_]+` \|", readme, re.M)  # no second table to drift


def test_every_subcommand_of_the_grammar_is_documented_with_its_usage():
    text = (ROOT / "docs" / "commands.md").read_text()
    for sub, usage in USAGE.items():
        if sub in ("migrate", "filers"):  # documented with their variants, one row each
            assert f"`/pcc {sub} " in text, sub
        else:
            assert f"`/pcc {usage}`" in text, usage


def test_the_architecture_tree_names_files_that_exist():
    text = (ROOT / "docs" / "architecture.md").read_text()
    tree = text[text.index("```text") : text.index("```", text.index("```text") + 7)]
    named = re.findall(r"([\w/]+\.py)", tree)
    assert named
    missing = [n for n in named if not list(ROOT.glob(f"**/{n}"))]
    assert missing == []


def test_the_readme_is_the_newcomers_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 160
    assert "make run" in readme and "make test" in readme
    for doc in ("commands", "configuration", "operations", "api", "architecture", "benchmarks"):
        assert f"docs/{doc}.md" in readme and (ROOT / "docs" / f"{doc}.md").exists()


def test_the_compose_file_runs_two_http_replicas_on_one_postgresql_with_known_variables():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    known = {s.name for s in SETTINGS}
    bots = {name: s for name, s in compose["services"].items() if s.get("image") == "pcc-bot"}
    assert len(bots) == 2
    for service in bots.values():
        assert service["command"][:2] == ["serve", "--http"]
        assert set(service["environment"]) <= known, set(service["environment"]) - known
        assert service["environment"]["PCC_DATABASE_URL"].startswith("postgresql://")
        assert "volumes" not in service  # no disk of its own: everything is in PostgreSQL
    proxy = compose["services"]["proxy"]["command"]
    assert all(f"--to {name}:3000" in proxy for name in bots)
