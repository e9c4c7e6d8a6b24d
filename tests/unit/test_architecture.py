"""The tree shows the rings: every import points down, and production code never imports the demo."""

import ast
import re
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# From the ground up. The entry points (cli, __main__) may import anything, the demo pieces lazily.
RANK = {
    "support": 0,
    "domain": 1,
    "usecases": 2,
    "adapters": 3,
    "ops": 4,
    "handlers": 4,
    "root": 5,
    "demo": 6,
}
IMPORT = re.compile(r"^\s*(?:from|import) ((?:bot|handlers)[\w.]*)", re.M)


def ring(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "handlers":
        return "handlers"
    if len(parts) > 1 and parts[1] in RANK:
        return parts[1]
    if len(parts) > 1 and parts[1] in ("app", "scheduler"):
        return "root"  # the composition root and its jobs
    return "entry"


def modules() -> list[tuple[str, str]]:
    found = []
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")]:
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found.append((name, path.read_text()))
    return found


def test_every_import_points_down():
    upward = [
        f"{name} imports {imported}"
        for name, text in modules()
        if ring(name) != "entry"
        for imported in IMPORT.findall(text)
        if RANK[ring(imported)] > RANK[ring(name)]
        if ring(imported) != "entry"
    ]
    assert upward == []


def test_the_domain_and_use_cases_know_no_framework():
    for name, text in modules():
        if ring(name) in ("domain", "usecases", "support"):
            assert not re.search(
                r"^\s*(from|import) "
                r"(slack_bolt|slack_sdk|ovh|sqlite3|sqlite_utils|sqlalchemy|alembic|psycopg)\b",
                text,
                re.M,
            ), name


def test_no_module_is_over_350_lines():
    files = [
        *ROOT.glob("bot/**/*.py"),
        *ROOT.glob("handlers/*.py"),
        *ROOT.glob("tests/**/*.py"),
        *ROOT.glob("bench/*.py"),
    ]
    long = [str(p.relative_to(ROOT)) for p in files if len(p.read_text().splitlines()) > 350]
    assert long == []


def test_a_package_names_what_it_exports_once():
    """`from .x import Y as Y` (mypy --strict's explicit re-export), never again in an `__all__`."""
    listed = [
        str(p.relative_to(ROOT))
        for p in [*ROOT.glob("bot/**/__init__.py"), *ROOT.glob("handlers/__init__.py")]
        if any(
            isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets)
            for node in ast.parse(p.read_text()).body
        )
    ]
    assert listed == []


def test_no_task_can_wait_on_the_pool_it_runs_on():
    """Thread pools are built in one place (bot/support): its Pool refuses a wait from its own threads,
    and the OVHcloud adapter, where calls fan out, waits on futures only through it."""
    built = [name for name, text in modules() if "ThreadPoolExecutor(" in text and ring(name) != "support"]
    waited = [
        name
        for name, text in modules()
        if name.startswith("bot.adapters.ovh") and re.search(r"\.result\(", text)
    ]
    assert built == [] and waited == []


#: Where the repository's members are implemented, and measured (a subclass calls its parent's method).
STORES_HOME = ("bot.adapters.sql.", "bot.ops.measured")


def calling(pattern: str) -> list[str]:
    """The modules, besides the chat desk and the stores, whose source matches ``pattern``."""
    return [
        name
        for name, text in modules()
        if re.search(pattern, text) and name != "bot.usecases.chat" and not name.startswith(STORES_HOME)
    ]


def test_a_requests_state_changes_in_one_place():
    """`ChatDesk.move` (bot/usecases/chat.py) is the one path of a state change: the compare-and-set
    with its audit line and notices (the requests' member: ``requests.transition``, ``requests.amend``),
    then the card and the outbox. Nothing else moves a request."""
    assert calling(r"\.(transition|amend)\(") == []


def test_a_plans_state_changes_in_one_place():
    """`ChatDesk.move_plan` is the one path of a plan's state change, shaped as a request's: the
    compare-and-set with its audit line, notices (and an approval's requests), then its board and the
    outbox. Nothing else moves a plan (the plans' member: ``plans.move``), and the repository has no
    other way to."""
    assert calling(r"\b_?plans\.move\(") == []
    from bot.adapters.sql.plans import SqlPlans
    from bot.adapters.sql.repository import SqlRepository

    assert not any(hasattr(SqlPlans, name) for name in ("approve", "approve_plan", "move_plan"))
    assert not hasattr(SqlRepository, "move_plan")


def test_no_function_is_over_a_complexity_of_20():
    """Radon's cyclomatic count (it also counts comprehensions, lambdas and boolean operators, which
    ruff's does not), over the code, the tests and the benchmarks."""
    from radon.visitors import ComplexityVisitor

    over = []
    for path in [
        *ROOT.glob("bot/**/*.py"),
        *ROOT.glob("handlers/*.py"),
        *ROOT.glob("tests/**/*.py"),
        *ROOT.glob("bench/*.py"),
    ]:
        found = ComplexityVisitor.from_code(path.read_text())
        blocks = [*found.functions, *(m for c in found.classes for m in c.methods)]
        over += [f"{path.relative_to(ROOT)}: {b.name} {b.complexity}" for b in blocks if b.complexity > 20]
    assert over == []


#: Where an operation's behaviour lives: its table (states.py) and its module (bot/domain/operations/).
#: The repository's requests name the restore's route too: the database keeps a restore's repository ids
#: apart from datastore ids (its unique index, revision 0008), a fact of the schema, not a behaviour.
OPERATIONS_HOME = ("bot.domain.states", "bot.domain.operations", "bot.adapters.sql.requests")


def _names_an_operation(value: object) -> bool:
    """An operation, or the route that files a request for one (``states.LAUNCHES``)."""
    from bot.domain import states

    return isinstance(value, states.Operation) or (isinstance(value, str) and value in states.LAUNCHES)


def _operation_words() -> set[str]:
    from bot.domain import states

    return {op.name for op in states.OPERATIONS} | set(states.LAUNCHES)


class _Branches(ast.NodeVisitor):
    """The places a module branches on which operation it is: a comparison with an operation (``is
    RELAUNCH``, ``== REMOVAL.name``, ``in {RESTORE}``, ``operation.name != "relaunch"``), an operation
    as a dict key, or a set of operations."""

    def __init__(self, name: str, tree: ast.AST) -> None:
        self.name = name
        self.found: list[str] = []
        self.imported = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot.domain")
            for alias in node.names
            if _names_an_operation(getattr(import_module(node.module or ""), alias.name, None))
        }
        self.words = _operation_words()

    def is_operation(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Attribute) and node.attr == "name":
            node = node.value
        if isinstance(node, (ast.Tuple, ast.Set, ast.List)):
            return any(self.is_operation(e) for e in node.elts)
        return isinstance(node, ast.Name) and node.id in self.imported

    def is_word(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Constant) and node.value in self.words

    @staticmethod
    def about_operation(node: ast.expr) -> bool:
        if isinstance(node, ast.Attribute):
            return node.attr in ("name", "route")
        return isinstance(node, ast.Name) and ("operation" in node.id or "route" in node.id)

    def note(self, node: ast.AST, what: str) -> None:
        self.found.append(f"{self.name}:{getattr(node, 'lineno', '?')} {what}")

    def visit_Compare(self, node: ast.Compare) -> None:
        sides = [node.left, *node.comparators]
        if any(self.is_operation(s) for s in sides):
            self.note(node, "compares with an operation")
        elif any(self.is_word(s) for s in sides) and any(self.about_operation(s) for s in sides):
            self.note(node, "compares an operation's name")
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        if any(k is not None and self.is_operation(k) for k in node.keys):
            self.note(node, "keys a dict by operation")
        self.generic_visit(node)

    def visit_Set(self, node: ast.Set) -> None:
        if self.is_operation(node):
            self.note(node, "holds a set of operations")
        self.generic_visit(node)


def _operation_branches(name: str, text: str) -> list[str]:
    tree = ast.parse(text)
    branches = _Branches(name, tree)
    branches.visit(tree)
    return branches.found


def test_no_module_outside_the_operations_branches_on_which_operation_it_is():
    """An operation owns its behaviour (bot/domain/operations/, one module each): the rest asks it
    (``behaviour_of``) instead of branching on which one it is."""
    branches = [
        branch
        for name, text in modules()
        if not name.startswith(OPERATIONS_HOME)
        for branch in _operation_branches(name, text)
    ]
    assert branches == []


def test_every_operation_of_the_table_has_its_module():
    """A line of the operations' table without its module (bot/domain/operations/<name>.py) fails here,
    not at its first call; an operation that files requests words its card and its end."""
    from bot.domain import MIGRATION, OPERATIONS
    from bot.domain.operations import Launch, every_behaviour
    from bot.domain.states import LAUNCHES

    assert set(every_behaviour()) == {op.name for op in OPERATIONS}
    for op in (MIGRATION, *LAUNCHES.values()):
        assert isinstance(every_behaviour()[op.name], Launch), op.name


#: The repository's members a family keeps (usecases/stores.py), by the attribute names the families use.
MEMBERS = ("_requests", "_plans", "_notices", "_audit", "_votes", "_pause", "_board_store")


def test_a_family_is_given_the_members_it_uses_never_the_whole_repository():
    """The whole Repository is the composition root's (usecases/service.py): a family's constructor, and
    what it is built with (Ports, Ballots, ChatPorts), ask for members only; each member a family keeps
    is used by it."""
    import inspect

    asked, unused = [], []
    for name, text in modules():
        if not name.startswith("bot.usecases.") or name in ("bot.usecases.service", "bot.usecases.stores"):
            continue
        for _, cls in inspect.getmembers(import_module(name), inspect.isclass):
            if cls.__module__ != name:
                continue
            hints = {**getattr(cls, "__annotations__", {}), **getattr(cls.__init__, "__annotations__", {})}
            asked += [f"{name}.{cls.__name__}: {k}" for k, v in hints.items() if "Repository" in str(v)]
        lines = text.splitlines()
        kept = {
            m for line in lines if " = " in line for m in re.findall(r"self\.(_\w+)", line.split(" = ")[0])
        }
        for member in kept & set(MEMBERS):
            if not any(f"self.{member}" in line.split(" = ")[-1] for line in lines):
                unused.append(f"{name}: {member}")
    assert asked == [] and unused == []
    from bot.usecases.family import Ports

    assert "repo" not in Ports.__dataclass_fields__
