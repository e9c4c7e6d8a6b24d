"""What start-up leaves out (docs/benchmarks.md, bench 4): a bot on a SQLite database already at the
latest revision reads and writes it without importing SQLAlchemy or Alembic (0.3 s and 12 MiB at
every start), and the command line's configuration does not import python-ovh and requests."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from bot.adapters.sql.repository import SqlRepository
from bot.demo.samples import sample_draft

_OPEN_AND_WRITE = """
import sys
from datetime import UTC, datetime
from bot.adapters.sql.repository import SqlRepository
from bot.demo.samples import sample_draft
repo = SqlRepository(sys.argv[1])
stored = repo.requests.add(sample_draft(2, datetime.now(UTC)), card_channel="COPS")
assert repo.requests.get(stored.id) == stored and len(repo.requests.in_states([stored.state])) == 2
repo.close()
print(" ".join(sorted(m for m in ("sqlalchemy", "alembic") if m in sys.modules)))
"""


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_sqlite_database_at_head_is_used_without_sqlalchemy_or_alembic(tmp_path):
    path = str(tmp_path / "bot.db")
    repo = SqlRepository(path)  # a new database: migrated here, by Alembic
    repo.requests.add(sample_draft(1, datetime.now(UTC)), card_channel="COPS")
    repo.close()
    assert _run(_OPEN_AND_WRITE, path) == ""


def test_the_command_lines_configuration_does_not_import_python_ovh():
    loaded = _run(
        "import sys, bot.cli, bot.ops.config\n"
        "print(' '.join(m for m in ('ovh', 'requests', 'sqlalchemy') if m in sys.modules))"
    )
    assert loaded == ""
