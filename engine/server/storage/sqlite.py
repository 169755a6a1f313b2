"""The default storage backend: one SQLite file in WAL mode.

One connection per :class:`SqliteStorage`, guarded by a lock; write transactions
start with ``BEGIN IMMEDIATE`` so the server and a CLI process (``patchbay credits
add`` while the server runs) serialise their writes instead of failing. WAL with
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
    Acceptance,
    AcceptResult,
    Account,
    ApiKey,
    CallbackState,
    IdempotencyOutcome,
    IdempotencyRef,
    IdempotencyState,
    LedgerEntry,
    NewExecution,
    Principal,
    StoredExecution,
    StoredWorkflow,
    Usage,
    Webhook,
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


class SqliteStorage:
    """:class:`~engine.server.storage.base.Storage` on one SQLite file."""

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

    # --- accounts and keys ------------------------------------------------------------

    def create_account(self, name: str, tier: Tier, credits_micro: int, now: float) -> Account:
        """A new account; ``credits_micro`` is posted as an opening ``grant``."""
        account_id = _new_id("acct")
        with self._write() as db:
            db.execute(
                "INSERT INTO accounts (id, name, tier, balance, created_at, callback_secret) "
                "VALUES (?,?,?,0,?,?)",
                (account_id, name, tier.value, now, _new_secret()),
            )
            if credits_micro:
                _ledger(db, account_id, credits_micro, "grant", now, note="opening balance")
        account = self.get_account(account_id)
        assert account is not None
        return account

    def get_account(self, account_id: str) -> Account | None:
        """The account with this id."""
        row = self._one("SELECT * FROM accounts WHERE id = ?", (account_id,))
        return _account(row) if row else None

    def find_account(self, ref: str) -> Account | None:
        """An account by id, by exact name, or by the prefix of one of its keys."""
        row = self._one(
            "SELECT * FROM accounts WHERE id = ? OR name = ? OR id IN "
            "(SELECT account_id FROM api_keys WHERE prefix = ? OR id = ?) "
            "ORDER BY created_at LIMIT 1",
            (ref, ref, ref, ref),
        )
        return _account(row) if row else None

    def list_accounts(self) -> list[Account]:
        """Every account, oldest first."""
        return [_account(r) for r in self._all("SELECT * FROM accounts ORDER BY created_at")]

    def set_tier(self, account_id: str, tier: Tier) -> Account | None:
        """Move an account to another tier."""
        with self._write() as db:
            db.execute("UPDATE accounts SET tier = ? WHERE id = ?", (tier.value, account_id))
        return self.get_account(account_id)

    def rotate_callback_secret(self, account_id: str) -> Account | None:
        """Give the account a new callback signing secret."""
        with self._write() as db:
            db.execute(
                "UPDATE accounts SET callback_secret = ? WHERE id = ?", (_new_secret(), account_id)
            )
        return self.get_account(account_id)

    def create_api_key(
        self, account_id: str, name: str, prefix: str, key_hash: str, now: float
    ) -> ApiKey:
        """Store a key's hash and display prefix."""
        key_id = _new_id("key")
        with self._write() as db:
            db.execute(
                "INSERT INTO api_keys (id, account_id, name, prefix, hash, created_at) "
                "VALUES (?,?,?,?,?,?)",
                (key_id, account_id, name, prefix, key_hash, now),
            )
        return ApiKey(key_id, account_id, name, prefix, now)

    def list_api_keys(self) -> list[ApiKey]:
        """Every key (revoked ones included), oldest first."""
        return [_key(r) for r in self._all("SELECT * FROM api_keys ORDER BY created_at")]

    def revoke_api_key(self, ref: str, now: float) -> ApiKey | None:
        """Revoke the key with this id or prefix; ``None`` when there is none."""
        with self._write() as db:
            db.execute(
                "UPDATE api_keys SET revoked_at = ? "
                "WHERE (id = ? OR prefix = ?) AND revoked_at IS NULL",
                (now, ref, ref),
            )
        row = self._one("SELECT * FROM api_keys WHERE id = ? OR prefix = ?", (ref, ref))
        return _key(row) if row else None

    def authenticate(self, key_hash: str) -> Principal | None:
        """The account and key for a key's hash, unless revoked."""
        row = self._one(
            "SELECT k.id AS k_id, k.account_id, k.name AS k_name, k.prefix, "
            "k.created_at AS k_created, k.revoked_at, k.last_used_at, a.* "
            "FROM api_keys k JOIN accounts a ON a.id = k.account_id "
            "WHERE k.hash = ? AND k.revoked_at IS NULL",
            (key_hash,),
        )
        if row is None:
            return None
        key = ApiKey(row["k_id"], row["account_id"], row["k_name"], row["prefix"], row["k_created"])
        return Principal(_account(row), key)

    # --- workflows and webhooks ---------------------------------------------------------

    def create_workflow(
        self, account_id: str, name: str, document: dict[str, Any], now: float
    ) -> StoredWorkflow:
        """Store a new workflow document."""
        workflow_id = _new_id("wf")
        text = _dumps(document)
        with self._write() as db:
            db.execute(
                "INSERT INTO workflows (id, account_id, name, document, version, created_at, "
                "updated_at) VALUES (?,?,?,?,1,?,?)",
                (workflow_id, account_id, name, text, now, now),
            )
        return StoredWorkflow(workflow_id, account_id, name, text, 1, now, now)

    def list_workflows(
        self, account_id: str, limit: int, offset: int
    ) -> tuple[list[StoredWorkflow], int]:
        """One page of an account's workflows (oldest first) and the total count."""
        rows = self._all(
            _WORKFLOW_SELECT + " WHERE w.account_id = ? ORDER BY w.created_at, w.id "
            "LIMIT ? OFFSET ?",
            (account_id, limit, offset),
        )
        total = self._one("SELECT COUNT(*) FROM workflows WHERE account_id = ?", (account_id,))
        return [_workflow(r) for r in rows], int(total[0]) if total else 0

    def get_workflow(self, account_id: str, workflow_id: str) -> StoredWorkflow | None:
        """The workflow, only if ``account_id`` owns it."""
        row = self._one(
            _WORKFLOW_SELECT + " WHERE w.id = ? AND w.account_id = ?", (workflow_id, account_id)
        )
        return _workflow(row) if row else None

    def replace_workflow(
        self, account_id: str, workflow_id: str, name: str, document: dict[str, Any], now: float
    ) -> StoredWorkflow | None:
        """Replace the document (the version goes up by one)."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE workflows SET name = ?, document = ?, version = version + 1, "
                "updated_at = ? WHERE id = ? AND account_id = ?",
                (name, _dumps(document), now, workflow_id, account_id),
            )
            if cursor.rowcount == 0:
                return None
        return self.get_workflow(account_id, workflow_id)

    def delete_workflow(self, account_id: str, workflow_id: str, now: float) -> bool:
        """Delete a workflow and deactivate its webhook; executions are kept."""
        with self._write() as db:
            cursor = db.execute(
                "DELETE FROM workflows WHERE id = ? AND account_id = ?", (workflow_id, account_id)
            )
            if cursor.rowcount == 0:
                return False
            _deactivate(db, workflow_id, now)
        return True

    def publish(
        self, account_id: str, workflow_id: str, webhook_id: str, secret: str | None, now: float
    ) -> Webhook | None:
        """Give the workflow a new active webhook, deactivating any previous one."""
        with self._write() as db:
            owned = db.execute(
                "SELECT 1 FROM workflows WHERE id = ? AND account_id = ?",
                (workflow_id, account_id),
            ).fetchone()
            if owned is None:
                return None
            _deactivate(db, workflow_id, now)
            db.execute(
                "INSERT INTO webhooks (id, workflow_id, account_id, secret, active, created_at) "
                "VALUES (?,?,?,?,1,?)",
                (webhook_id, workflow_id, account_id, secret, now),
            )
        return Webhook(webhook_id, workflow_id, account_id, secret, True, now)

    def unpublish(self, account_id: str, workflow_id: str, now: float) -> bool:
        """Deactivate the workflow's webhook; ``False`` if the workflow is not theirs."""
        with self._write() as db:
            owned = db.execute(
                "SELECT 1 FROM workflows WHERE id = ? AND account_id = ?",
                (workflow_id, account_id),
            ).fetchone()
            if owned is None:
                return False
            _deactivate(db, workflow_id, now)
        return True

    def webhook_with_owner(self, webhook_id: str) -> tuple[Webhook, Account] | None:
        """A webhook and the account that owns it, in one query."""
        row = self._one(
            "SELECT h.id AS h_id, h.workflow_id, h.secret, h.active, h.created_at AS h_created, "
            "h.deactivated_at, a.* FROM webhooks h JOIN accounts a ON a.id = h.account_id "
            "WHERE h.id = ?",
            (webhook_id,),
        )
        if row is None:
            return None
        hook = Webhook(
            row["h_id"],
            row["workflow_id"],
            row["id"],
            row["secret"],
            bool(row["active"]),
            row["h_created"],
            row["deactivated_at"],
        )
        return hook, _account(row)

    def get_webhook(self, webhook_id: str) -> Webhook | None:
        """A webhook by id, active or not."""
        row = self._one("SELECT * FROM webhooks WHERE id = ?", (webhook_id,))
        if row is None:
            return None
        return Webhook(
            row["id"],
            row["workflow_id"],
            row["account_id"],
            row["secret"],
            bool(row["active"]),
            row["created_at"],
            row["deactivated_at"],
        )

    # --- idempotency ----------------------------------------------------------------

    def idempotency_begin(
        self, scope: str, key: str, fingerprint: str, now: float, ttl_s: float
    ) -> IdempotencyOutcome:
        """Claim ``(scope, key)`` for this request, or report what holds it.

        The primary key on ``(scope, key)`` makes the claim atomic across requests
        and processes: of two concurrent identical requests exactly one is STARTED.
        """
        with self._write() as db:
            db.execute(
                "DELETE FROM idempotency WHERE scope = ? AND key = ? AND created_at < ?",
                (scope, key, now - ttl_s),
            )
            try:
                db.execute(
                    "INSERT INTO idempotency (scope, key, fingerprint, state, created_at) "
                    "VALUES (?,?,?,'in_flight',?)",
                    (scope, key, fingerprint, now),
                )
            except sqlite3.IntegrityError:
                row = db.execute(
                    "SELECT * FROM idempotency WHERE scope = ? AND key = ?", (scope, key)
                ).fetchone()
            else:
                return IdempotencyOutcome(IdempotencyState.STARTED)
        if row["fingerprint"] != fingerprint:
            return IdempotencyOutcome(IdempotencyState.MISMATCH)
        if row["state"] == "in_flight":
            return IdempotencyOutcome(IdempotencyState.IN_FLIGHT)
        return IdempotencyOutcome(
            IdempotencyState.REPLAY, int(row["status_code"]), json.loads(row["response"])
        )

    def idempotency_abandon(self, scope: str, key: str) -> None:
        """Forget an in-flight claim whose request was refused (it may be retried)."""
        with self._write() as db:
            db.execute(
                "DELETE FROM idempotency WHERE scope = ? AND key = ? AND state = 'in_flight'",
                (scope, key),
            )

    # --- executions and the ledger --------------------------------------------------

    def accept_execution(
        self,
        execution: NewExecution,
        *,
        day: str,
        daily_limit: int | None,
        idempotency: IdempotencyRef | None,
    ) -> Acceptance:
        """Check the quota and the credits, insert, reserve, and complete the
        idempotency record: all in one transaction, so nothing half-happens."""
        account_id = execution.account_id
        # Nothing is written before the checks pass, so returning early commits nothing.
        with self._write() as db:
            used = 0
            if daily_limit is not None:
                used_row = db.execute(
                    "SELECT executions FROM usage_daily WHERE account_id = ? AND day = ?",
                    (account_id, day),
                ).fetchone()
                used = int(used_row[0]) if used_row else 0
                if used >= daily_limit:
                    return Acceptance(AcceptResult.QUOTA_EXCEEDED, _available(db, account_id), used)
            # A free run needs no credits (even on a negative balance).
            available = _available(db, account_id) if execution.estimate_micro else 0
            if execution.estimate_micro > available:
                return Acceptance(AcceptResult.INSUFFICIENT_CREDITS, available, used)
            db.execute(
                f"INSERT INTO executions ({_EXECUTION_COLUMNS}) "
                "VALUES (?,?,?,?,?,?,NULL,?,?,?,?,?,0,?,?,0)",
                (
                    execution.id,
                    account_id,
                    execution.workflow_id,
                    execution.webhook_id,
                    execution.status,
                    execution.created_at,
                    (
                        execution.document
                        if isinstance(execution.document, str)
                        else _dumps(execution.document)
                    ),
                    _dumps(execution.request),
                    _dumps(execution.record),
                    execution.estimate_micro,
                    execution.estimate_micro,
                    execution.callback_url,
                    (CallbackState.PENDING if execution.callback_url else CallbackState.NONE).value,
                ),
            )
            db.execute(
                "INSERT INTO usage_daily (account_id, day, executions) VALUES (?,?,1) "
                "ON CONFLICT (account_id, day) DO UPDATE SET executions = executions + 1",
                (account_id, day),
            )
            if execution.estimate_micro:
                db.execute(
                    "UPDATE accounts SET reserved = reserved + ? WHERE id = ?",
                    (execution.estimate_micro, account_id),
                )
            if idempotency is not None:
                db.execute(
                    "UPDATE idempotency SET state = 'done', status_code = ?, response = ? "
                    "WHERE scope = ? AND key = ?",
                    (
                        idempotency.status_code,
                        _dumps(idempotency.response),
                        idempotency.scope,
                        idempotency.key,
                    ),
                )
        return Acceptance(AcceptResult.ACCEPTED, available - execution.estimate_micro, used + 1)

    def available_micro(self, account_id: str) -> int:
        """Balance minus what running executions still hold in reserve."""
        with self._lock:
            return _available(self._db, account_id)

    def get_execution(self, account_id: str, execution_id: str) -> StoredExecution | None:
        """The execution, only if ``account_id`` owns it."""
        row = self._one(
            f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE id = ? AND account_id = ?",
            (execution_id, account_id),
        )
        return _execution(row) if row else None

    def load_execution(self, execution_id: str) -> StoredExecution | None:
        """The execution, whoever owns it (internal use)."""
        row = self._one(
            f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE id = ?", (execution_id,)
        )
        return _execution(row) if row else None

    def save_record(self, execution_id: str, status: str, record: dict[str, Any]) -> None:
        """Store the latest snapshot of a running execution."""
        with self._write() as db:
            db.execute(
                "UPDATE executions SET status = ?, record = ? WHERE id = ? AND finished_at IS NULL",
                (status, _dumps(record), execution_id),
            )

    def charge(
        self,
        account_id: str,
        execution_id: str,
        node_id: str | None,
        amount_micro: int,
        now: float,
        note: str | None = None,
    ) -> None:
        """Post a node's actual charge and release as much of the reservation."""
        if amount_micro <= 0:
            return
        with self._write() as db:
            _ledger(db, account_id, -amount_micro, "charge", now, execution_id, node_id, note)
            row = db.execute(
                "SELECT reserved FROM executions WHERE id = ?", (execution_id,)
            ).fetchone()
            released = min(int(row[0]), amount_micro) if row else 0
            db.execute(
                "UPDATE executions SET charged = charged + ?, reserved = reserved - ? WHERE id = ?",
                (amount_micro, released, execution_id),
            )
            _release(db, account_id, released)

    def finish_execution(
        self, execution_id: str, status: str, record: dict[str, Any], now: float
    ) -> None:
        """Store the final record and release what is left of the reservation."""
        self.finish_executions([(execution_id, status, record, now)])

    def finish_executions(self, finished: list[tuple[str, str, dict[str, Any], float]]) -> None:
        """:meth:`finish_execution` for many executions, in one transaction.

        An execution that already has a final record is left as it is.
        """
        rows = [(status, _dumps(record), now, eid) for eid, status, record, now in finished]
        with self._write() as db:
            for status, text, now, execution_id in rows:
                # Most runs hold no reservation (free runs): one statement for them.
                done = db.execute(
                    "UPDATE executions SET status = ?, record = ?, finished_at = ? "
                    "WHERE id = ? AND finished_at IS NULL AND reserved = 0",
                    (status, text, now, execution_id),
                )
                if done.rowcount:
                    continue
                row = db.execute(
                    "SELECT account_id, reserved FROM executions "
                    "WHERE id = ? AND finished_at IS NULL",
                    (execution_id,),
                ).fetchone()
                if row is None:
                    continue
                db.execute(
                    "UPDATE executions SET status = ?, record = ?, finished_at = ?, reserved = 0 "
                    "WHERE id = ?",
                    (status, text, now, execution_id),
                )
                _release(db, row[0], int(row[1]))

    def unfinished_executions(self) -> list[StoredExecution]:
        """Executions with no final record (after a crash: the interrupted ones)."""
        rows = self._all(
            f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE finished_at IS NULL "
            "ORDER BY created_at"
        )
        return [_execution(r) for r in rows]

    def set_callback_state(self, execution_id: str, state: CallbackState, attempts: int) -> None:
        """Record a callback delivery's progress."""
        with self._write() as db:
            db.execute(
                "UPDATE executions SET callback_state = ?, callback_attempts = ? WHERE id = ?",
                (state.value, attempts, execution_id),
            )

    def pending_callbacks(self) -> list[StoredExecution]:
        """Finished executions whose callback has not been delivered yet."""
        rows = self._all(
            f"SELECT {_EXECUTION_COLUMNS} FROM executions "
            "WHERE finished_at IS NOT NULL AND callback_state = 'pending' ORDER BY finished_at"
        )
        return [_execution(r) for r in rows]

    def add_credits(
        self, account_id: str, amount_micro: int, now: float, note: str | None = None
    ) -> Account:
        """Post a grant (positive) or an adjustment (negative) to the ledger."""
        with self._write() as db:
            kind = "grant" if amount_micro >= 0 else "adjustment"
            _ledger(db, account_id, amount_micro, kind, now, note=note)
        account = self.get_account(account_id)
        assert account is not None
        return account

    def ledger(self, account_id: str, limit: int) -> list[LedgerEntry]:
        """The newest ``limit`` ledger lines of an account, newest first."""
        rows = self._all(
            "SELECT * FROM ledger WHERE account_id = ? ORDER BY id DESC LIMIT ?",
            (account_id, limit),
        )
        return [
            LedgerEntry(
                r["id"],
                r["account_id"],
                r["amount"],
                r["kind"],
                r["created_at"],
                r["execution_id"],
                r["node_id"],
                r["note"],
            )
            for r in rows
        ]

    def usage(self, account_id: str, day: str) -> Usage:
        """Executions started and credits charged on ``day``, and what is running now."""
        with self._lock:
            db = self._db
            started = db.execute(
                "SELECT executions FROM usage_daily WHERE account_id = ? AND day = ?",
                (account_id, day),
            ).fetchone()
            charged = db.execute(
                "SELECT COALESCE(-SUM(amount), 0) FROM ledger "
                "WHERE account_id = ? AND day = ? AND kind = 'charge'",
                (account_id, day),
            ).fetchone()
            running = db.execute(
                "SELECT COUNT(*), (SELECT reserved FROM accounts WHERE id = ?) FROM executions "
                "WHERE account_id = ? AND finished_at IS NULL",
                (account_id, account_id),
            ).fetchone()
        return Usage(
            day,
            int(started[0]) if started else 0,
            int(charged[0]),
            int(running[1] or 0),
            int(running[0]),
        )

    def add_artifact_owner(self, account_id: str, artifact_ids: list[str], now: float) -> None:
        """Record that these artifacts belong to (were made or uploaded by) the account."""
        if not artifact_ids:
            return
        with self._write() as db:
            db.executemany(
                "INSERT OR IGNORE INTO artifact_owners (account_id, artifact_id, created_at) "
                "VALUES (?,?,?)",
                [(account_id, a, now) for a in artifact_ids],
            )

    def owns_artifact(self, account_id: str, artifact_id: str) -> bool:
        """Whether the account may read the artifact."""
        row = self._one(
            "SELECT 1 FROM artifact_owners WHERE account_id = ? AND artifact_id = ?",
            (account_id, artifact_id),
        )
        return row is not None

    def recover(self, now: float) -> None:
        """Drop idempotency claims of requests a crash cut off, and expired records.

        An acceptance is one transaction, so an ``in_flight`` claim found at startup
        belongs to a request that was never accepted: its client got no answer and
        may retry.
        """
        with self._write() as db:
            db.execute("DELETE FROM idempotency WHERE state = 'in_flight'")
            db.execute("DELETE FROM idempotency WHERE created_at < ?", (now - 7 * 86_400,))


# --- helpers -----------------------------------------------------------------------

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
