"""The SQLite backend, part two: idempotency, executions, the ledger, usage."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from engine.server.storage.base import (
    Acceptance,
    AcceptResult,
    Account,
    CallbackState,
    IdempotencyOutcome,
    IdempotencyRef,
    IdempotencyState,
    LedgerEntry,
    NewExecution,
    StoredExecution,
    Usage,
)
from engine.server.storage.sqlite_base import (
    _EXECUTION_COLUMNS,
    SqliteBase,
    _available,
    _dumps,
    _execution,
    _ledger,
    _release,
)


class ExecutionStore(SqliteBase):
    """Idempotency records, executions, charges and the ledger."""

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
