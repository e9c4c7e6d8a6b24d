"""The tree shows the rings: every import points down, and production code never imports the demo."""

import re
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


def test_a_requests_state_changes_in_one_place():
    """`ChatDesk.move` (bot/usecases/chat.py) is the one path of a state change: the compare-and-set
    with its audit line and notices, then the card and the outbox. Nothing else moves a request."""
    moving = [
        name
        for name, text in modules()
        if re.search(r"repo\.(transition|amend)\(", text) and name != "bot.usecases.chat"
    ]
    assert moving == []


def test_a_plans_state_changes_in_one_place():
    """`ChatDesk.move_plan` is the one path of a plan's state change, shaped as a request's: the
    compare-and-set with its audit line, notices (and an approval's requests), then its board and the
    outbox. Nothing else moves a plan, and the repository has no other way to."""
    moving = [
        name
        for name, text in modules()
        if re.search(r"repo\.(move_plan|approve_plan)\(", text) and name != "bot.usecases.chat"
    ]
    assert moving == []
    from bot.adapters.sql.repository import SqlRepository

    assert not hasattr(SqlRepository, "approve_plan")


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
