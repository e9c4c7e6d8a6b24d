"""`pcc-bot db …`: an operator's look into the SQLite store, read-only, built on the sqlite-utils
library: the requests in doubt, the dead notices, one request's audit, NDJSON for a SIEM, and a
consistent snapshot (SQLite's VACUUM INTO, safe while the bot runs). PostgreSQL has its own tools."""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from bot.domain import IN_DOUBT_STATES, PccBotError

if TYPE_CHECKING:  # the command line builds its parser with this module: sqlite-utils only when run
    from sqlite_utils import Database

    from bot.ops.config import Config

#: Tables NDJSON export reads (no table of the bot's internals: claims, replays, budget places).
EXPORTS = ("audit", "requests", "plans", "notices")


def add_parser(commands: Any) -> None:
    """The `db` group on the command line's subcommands."""
    group = commands.add_parser(
        "db", help="read the SQLite store: in-doubt, dead-notices, audit, export, snapshot"
    )
    sub = group.add_subparsers(dest="db_command", required=True)
    sub.add_parser("in-doubt", help="requests whose call is in doubt, oldest first")
    sub.add_parser("dead-notices", help="notices Slack refused for good, newest first")
    audit = sub.add_parser("audit", help="one request's audit lines, in order")
    audit.add_argument("request_id", type=int)
    export = sub.add_parser("export", help="a table as NDJSON on stdout (one JSON object a line, for a SIEM)")
    export.add_argument("table", choices=EXPORTS)
    export.add_argument("--since", default=None, help="audit only: lines at or after this ISO time")
    snapshot = sub.add_parser(
        "snapshot", help="a consistent copy of the database (VACUUM INTO), while it runs"
    )
    snapshot.add_argument("target", help="the new file (must not exist)")


def run(args: argparse.Namespace, config: Config, out: IO[str]) -> int:
    db = _open(config)
    try:
        match args.db_command:
            case "in-doubt":
                _table(out, in_doubt(db))
            case "dead-notices":
                _table(out, dead_notices(db))
            case "audit":
                _table(out, audit(db, args.request_id))
            case "export":
                for row in export(db, args.table, args.since):
                    print(json.dumps(row, ensure_ascii=False), file=out)
            case "snapshot":
                print(f"snapshot written: {snapshot(db, Path(args.target))}", file=out)
    finally:
        db.close()
    return 0


def _open(config: Config) -> Database:
    if config.shared_database:
        raise PccBotError("`pcc-bot db` reads the SQLite file; on PostgreSQL use psql and pg_dump")
    path = Path(config.db_path)
    if not path.is_file():
        raise PccBotError(f"no database at {path} (PCC_DB_PATH): nothing to read")
    from sqlite_utils import Database

    try:
        return Database(sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, check_same_thread=False))
    except sqlite3.Error as error:
        raise PccBotError(f"cannot open {path}: {error}") from error


def in_doubt(db: Database) -> list[dict[str, Any]]:
    states = sorted(state.value for state in IN_DOUBT_STATES)  # every operation's, from its table line
    return list(
        db["requests"].rows_where(
            f"state IN ({', '.join('?' for _ in states)})",
            states,
            order_by="coalesce(in_doubt_since, updated_at), id",
            select="id, state, source_service, filer_id, dest_service, in_doubt_since, route, candidates",
        )
    )


def dead_notices(db: Database) -> list[dict[str, Any]]:
    return list(
        db["notices"].rows_where(
            "dead_at IS NOT NULL",
            order_by="dead_at DESC, id DESC",
            select="id, request_id, plan_id, kind, channel, dead_at, last_error",
        )
    )


def audit(db: Database, request_id: int) -> list[dict[str, Any]]:
    if not list(db["requests"].rows_where("id = ?", [request_id], select="id")):
        raise PccBotError(f"request #{request_id} not found")
    return list(
        db["audit"].rows_where(
            "request_id = ?",
            [request_id],
            order_by="id",
            select="at, actor, action, from_state, to_state, detail, query_id",
        )
    )


def export(db: Database, table: str, since: str | None = None) -> Iterable[dict[str, Any]]:
    if table not in EXPORTS:
        raise PccBotError(f"export reads {', '.join(EXPORTS)}, not {table!r}")
    if since is not None and table != "audit":
        raise PccBotError("--since applies to the audit only")
    where, params = ("at >= ?", [since]) if since is not None else (None, [])
    return db[table].rows_where(where, params, order_by="id")


def snapshot(db: Database, target: Path) -> Path:
    """A transactionally consistent copy, taken while the bot may be writing (its WAL included)."""
    if target.exists():
        raise PccBotError(f"{target} exists: give a new file name")
    if not target.parent.is_dir():
        raise PccBotError(f"no folder {target.parent} for the snapshot")
    try:
        db.execute("VACUUM INTO ?", [str(target)])
    except sqlite3.Error as error:
        raise PccBotError(f"snapshot failed: {error}") from error
    target.chmod(0o600)  # as private as the database itself
    return target


def _table(out: IO[str], rows: list[dict[str, Any]]) -> None:
    """Rows as aligned columns; an empty answer says so."""
    if not rows:
        print("(none)", file=out)
        return
    columns = list(rows[0])
    cells = [[_cell(row, column) for column in columns] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(), file=out)
    for line in cells:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip(), file=out)


def _cell(row: Mapping[str, Any], column: str) -> str:
    value = row[column]
    return "" if value is None else " ".join(str(value).split())
