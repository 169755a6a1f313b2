"""The SQLite backend's plumbing: schema, connection, transactions, row mapping.

One connection per storage object, guarded by a lock; write transactions start with
``BEGIN IMMEDIATE`` so the server and a CLI process (``patchbay credits add`` while
the server runs) serialise their writes instead of failing. WAL with
``synchronous=NORMAL`` keeps every committed transaction across a killed process.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.server.settings import Tier
from engine.server.storage.base import (
    Account,
    ApiKey,
    CallbackState,
    StoredExecution,
    StoredWorkflow,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, tier TEXT NOT NULL,
    balance INTEGER NOT NULL DEFAULT 0, reserved INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL, callback_secret TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL, prefix TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL, revoked_at REAL, last_used_at REAL);
CREATE TABLE IF NOT EXISTS workflows (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL, name TEXT NOT NULL,
    document TEXT NOT NULL, version INTEGER NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS workflows_account ON workflows(account_id, created_at, id);
CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, account_id TEXT NOT NULL,
    secret TEXT, active INTEGER NOT NULL, created_at REAL NOT NULL, deactivated_at REAL);
CREATE UNIQUE INDEX IF NOT EXISTS webhooks_one_active ON webhooks(workflow_id) WHERE active = 1;
CREATE TABLE IF NOT EXISTS executions (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL, workflow_id TEXT NOT NULL,
    webhook_id TEXT, status TEXT NOT NULL, created_at REAL NOT NULL, finished_at REAL,
    document TEXT NOT NULL, request TEXT NOT NULL, record TEXT NOT NULL,
    estimate INTEGER NOT NULL, reserved INTEGER NOT NULL, charged INTEGER NOT NULL DEFAULT 0,
    callback_url TEXT, callback_state TEXT NOT NULL, callback_attempts INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS executions_open ON executions(account_id) WHERE finished_at IS NULL;
CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT, account_id TEXT NOT NULL, amount INTEGER NOT NULL,
    kind TEXT NOT NULL, created_at REAL NOT NULL, day TEXT NOT NULL,
    execution_id TEXT, node_id TEXT, note TEXT);
CREATE INDEX IF NOT EXISTS ledger_account ON ledger(account_id, id);
CREATE INDEX IF NOT EXISTS ledger_day ON ledger(account_id, day);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, state TEXT NOT NULL,
    status_code INTEGER, response TEXT, created_at REAL NOT NULL, PRIMARY KEY (scope, key));
CREATE TABLE IF NOT EXISTS artifact_owners (
    account_id TEXT NOT NULL, artifact_id TEXT NOT NULL, created_at REAL NOT NULL,
    PRIMARY KEY (account_id, artifact_id));
CREATE TABLE IF NOT EXISTS usage_daily (
    account_id TEXT NOT NULL, day TEXT NOT NULL, executions INTEGER NOT NULL,
    PRIMARY KEY (account_id, day));
"""

_EXECUTION_COLUMNS = (
    "id, account_id, workflow_id, webhook_id, status, created_at, finished_at, document, "
    "request, record, estimate, reserved, charged, callback_url, callback_state, "
    "callback_attempts"
)


def utc_day(at: float) -> str:
    """The UTC calendar day of a Unix time, ``YYYY-MM-DD``."""
    return time.strftime("%Y-%m-%d", time.gmtime(at))


class SqliteBase:
    """The connection, its transactions and the WAL checkpointer (see the module doc)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._checkpointer: tuple[threading.Thread, threading.Event] | None = None
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30.0
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=30000")
        with self._write() as db:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)

    # --- plumbing -------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, params).fetchone()
            return row

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    def get_account(self, account_id: str) -> Account | None:
        """The account with this id."""
        row = self._one("SELECT * FROM accounts WHERE id = ?", (account_id,))
        return _account(row) if row else None

    def start_checkpointer(self, interval_s: float = 1.0) -> None:
        """Checkpoint the WAL from a background thread instead of inside commits.

        SQLite otherwise checkpoints (copying pages and syncing the file) inside
        whichever commit crosses the threshold, stalling the server's event loop.
        A passive checkpoint on its own connection never blocks writers.
        """
        if self._checkpointer is not None:
            return
        self._db.execute("PRAGMA wal_autocheckpoint=0")
        stop = threading.Event()

        def run() -> None:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            try:
                while not stop.wait(interval_s):
                    try:
                        db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    except sqlite3.Error:  # busy or locked: try again next time
                        continue
            finally:
                db.close()

        thread = threading.Thread(target=run, name="sqlite-checkpoint", daemon=True)
        thread.start()
        self._checkpointer = (thread, stop)

    def close(self) -> None:
        """Stop the checkpointer and close the connection (checkpointing the WAL)."""
        if self._checkpointer is not None:
            thread, stop = self._checkpointer
            stop.set()
            thread.join(timeout=5)
            self._checkpointer = None
            with contextlib.suppress(sqlite3.Error), self._lock:
                self._db.execute("PRAGMA wal_autocheckpoint=1000")
        with self._lock:
            self._db.close()


_WORKFLOW_SELECT = (
    "SELECT w.*, (SELECT h.id FROM webhooks h WHERE h.workflow_id = w.id AND h.active = 1) "
    "AS webhook_id FROM workflows w"
)


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _available(db: sqlite3.Connection, account_id: str) -> int:
    row = db.execute(
        "SELECT balance - reserved FROM accounts WHERE id = ?", (account_id,)
    ).fetchone()
    return int(row[0]) if row else 0


def _release(db: sqlite3.Connection, account_id: str, amount: int) -> None:
    if amount:
        db.execute(
            "UPDATE accounts SET reserved = MAX(0, reserved - ?) WHERE id = ?",
            (amount, account_id),
        )


def _ledger(
    db: sqlite3.Connection,
    account_id: str,
    amount: int,
    kind: str,
    now: float,
    execution_id: str | None = None,
    node_id: str | None = None,
    note: str | None = None,
) -> None:
    db.execute(
        "INSERT INTO ledger (account_id, amount, kind, created_at, day, execution_id, node_id, "
        "note) VALUES (?,?,?,?,?,?,?,?)",
        (account_id, amount, kind, now, utc_day(now), execution_id, node_id, note),
    )
    db.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, account_id))


def _deactivate(db: sqlite3.Connection, workflow_id: str, now: float) -> None:
    db.execute(
        "UPDATE webhooks SET active = 0, deactivated_at = ? WHERE workflow_id = ? AND active = 1",
        (now, workflow_id),
    )


def _account(row: sqlite3.Row) -> Account:
    return Account(
        row["id"],
        row["name"],
        Tier(row["tier"]),
        row["balance"],
        row["created_at"],
        row["callback_secret"],
    )


def _key(row: sqlite3.Row) -> ApiKey:
    return ApiKey(
        row["id"],
        row["account_id"],
        row["name"],
        row["prefix"],
        row["created_at"],
        row["revoked_at"],
        row["last_used_at"],
    )


def _workflow(row: sqlite3.Row) -> StoredWorkflow:
    return StoredWorkflow(
        row["id"],
        row["account_id"],
        row["name"],
        row["document"],
        row["version"],
        row["created_at"],
        row["updated_at"],
        row["webhook_id"],
    )


def _execution(row: sqlite3.Row) -> StoredExecution:
    return StoredExecution(
        id=row["id"],
        account_id=row["account_id"],
        workflow_id=row["workflow_id"],
        webhook_id=row["webhook_id"],
        status=row["status"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        document=json.loads(row["document"]),
        request=json.loads(row["request"]),
        record=json.loads(row["record"]),
        estimate_micro=row["estimate"],
        reserved_micro=row["reserved"],
        charged_micro=row["charged"],
        callback_url=row["callback_url"],
        callback_state=CallbackState(row["callback_state"]),
        callback_attempts=row["callback_attempts"],
    )
