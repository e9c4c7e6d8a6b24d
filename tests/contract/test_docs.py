"""The docs stay true: the configuration reference is the settings table, the commands match the
grammar, the architecture tree names files that exist in their folders and its prose names code that
exists, and the README stays the newcomer's page."""

import ast
import re
from pathlib import Path

from bot.adapters.slack.grammar import USAGE
from bot.domain.operations import policy_names
from bot.ops.variables import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
#: The tree's Python files (its folders, not the virtualenv's or the caches').
TREE = [
    *ROOT.glob("*.py"),
    *(p for d in ROOT.iterdir() if d.is_dir() and d.name[0] not in "._" for p in d.rglob("*.py")),
]


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


def test_the_policy_page_names_each_operation_a_policy_file_may_match():
    """docs/policy.md's `match.operation` row lists exactly the names the policy file accepts."""
    row = next(
        line for line in (ROOT / "docs" / "policy.md").read_text().splitlines() if "`match.operation`" in line
    )
    listed = re.findall(r"`([a-z][a-z ]*)`", row.split("|")[2])
    assert sorted(listed) == sorted(policy_names())


def test_the_architecture_tree_names_files_that_exist_in_their_folder():
    """Each file the tree names is in the folder of its row (``ops/ settings.py``: in bot/ops/)."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    tree = text[text.index("```text") + 7 : text.index("```", text.index("```text") + 7)]
    top, folder, named = "", "", []
    for line in tree.splitlines():
        head = line.split(maxsplit=1)[0] if line.strip() else ""
        if head.endswith("/") and not line.startswith(" "):
            top = folder = head
        elif head.endswith("/") and line.startswith("  ") and not line.startswith("   "):
            folder = top + head
        elif not line.startswith("   "):
            folder = top
        named += [(folder, n) for n in re.findall(r"([\w/]+\.py)", line)]
    assert len(named) > 100
    missing = [f"{folder}{n}" for folder, n in named if not list((ROOT / folder).rglob(n))]
    assert missing == []


def _defined(path: Path) -> set[str]:
    """What a module defines or imports at its top, and its classes' methods and attributes (`Class.name`,
    and the bare method name, as the doc writes `module.py: method`)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ClassDef):
            found.add(node.name)
            for sub in ast.walk(node):
                if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef):
                    found |= {sub.name, f"{node.name}.{sub.name}"}
                elif isinstance(sub, ast.AnnAssign | ast.Assign):
                    for target in sub.targets if isinstance(sub, ast.Assign) else [sub.target]:
                        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                        found |= {name, f"{node.name}.{name}"}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                found.add(getattr(target, "id", ""))
        elif isinstance(node, ast.ImportFrom):
            found |= {alias.asname or alias.name for alias in node.names}
    return found


def _looks_like_code(name: str) -> bool:
    """`move_plan`, `QUERY_TIME_OUT`, `SlackPeople`, `IN`: not `help`, `fr` or `list`."""
    return "_" in name or any(c.isupper() for c in name[1:]) or (name[0].isupper() and len(name) > 1)


def _exists(span: str, code: dict[Path, set[str]], words: set[str]) -> bool:
    """A `path.py` (relative to the tree, bot/ or anywhere below) exists, and in `path.py: name` the
    module defines the name; a folder (`domain/operations/`) exists; a `Class.method` is defined by a
    class of that name; a `module.name` whose module is one of ours (`dates.date_token`) is defined
    there. A name that looks like code (`launch_of(request)`, `move_plan`, `SETTINGS`) is defined
    somewhere, a class's name always; another name may be one the code only writes (a column, an
    OVHcloud field, a PostgreSQL setting: ``words``). Other spans are not names of code."""
    if cited := re.fullmatch(r"([\w/]+\.py)(?:: ([\w.]+))?", span):
        files = [p for p in TREE if p.as_posix().endswith(f"/{cited[1]}")]
        return bool(files) and (not cited[2] or any(cited[2] in _defined(f) for f in files))
    if (ROOT / span).exists():  # `manifest.yml`, `constraints.txt`
        return True
    if re.fullmatch(r"\w[\w/]*/", span):  # a folder of the tree, or of bot/
        return (ROOT / "bot" / span).is_dir()
    if cited := re.fullmatch(r"([A-Za-z_]\w*)\.(\w+)(?:\(.*\))?", span):
        owner, name = cited[1], cited[2]
        if owner[0].isupper():
            return any(f"{owner}.{name}" in names for names in code.values())
        modules = [p for p in code if p.stem == owner]  # `users.info`, `audit.plan_id`: not ours
        return not modules or any(name in code[p] for p in modules)
    if (cited := re.fullmatch(r"([A-Za-z_]\w*)(\(.*\))?", span)) and _looks_like_code(cited[1]):
        return _named_in_code(cited[1], code, words)
    return True


def _named_in_code(name: str, code: dict[Path, set[str]], words: set[str]) -> bool:
    """A class is defined in the tree; another name is defined, or written in the source."""
    defined = any(name in names for names in code.values())
    is_class = name[0].isupper() and any(c.islower() for c in name)
    return defined or (not is_class and name in words)


def test_every_module_and_name_the_architecture_doc_cites_exists():
    """What docs/architecture.md names in backticks is in the tree: its modules, folders, classes,
    methods, functions and constants (the failure lists the names that are not)."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    sources = [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/*.py"), *ROOT.glob("tests/**/*.py")]
    code = {p: _defined(p) for p in sources}
    words = {*(w for p in sources for w in re.findall(r"\w+", p.read_text())), *(s.name for s in SETTINGS)}
    cited = sorted(set(re.findall(r"`([^`\n]+)`", prose)))
    assert [span for span in cited if not _exists(span, code, words)] == []


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
