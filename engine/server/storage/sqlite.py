"""The default storage backend: one SQLite file in WAL mode.

:class:`SqliteStorage` implements :class:`~engine.server.storage.base.Storage`;
its plumbing is in :mod:`.sqlite_base`, the execution and ledger half in
:mod:`.sqlite_runs`, and accounts, keys, workflows and webhooks here.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from engine.server.settings import Tier
from engine.server.storage.base import (
    Account,
    ApiKey,
    Principal,
    StoredWorkflow,
    Webhook,
)
from engine.server.storage.sqlite_base import (
    _WORKFLOW_SELECT,
    _account,
    _deactivate,
    _dumps,
    _key,
    _ledger,
    _new_id,
    _new_secret,
    _workflow,
    utc_day,
)
from engine.server.storage.sqlite_runs import ExecutionStore

__all__ = ["SqliteStorage", "utc_day"]


class SqliteStorage(ExecutionStore):
    """:class:`~engine.server.storage.base.Storage` on one SQLite file."""

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
            if not _owns_workflow(db, account_id, workflow_id):
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
            if not _owns_workflow(db, account_id, workflow_id):
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


def _owns_workflow(db: sqlite3.Connection, account_id: str, workflow_id: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM workflows WHERE id = ? AND account_id = ?", (workflow_id, account_id)
    ).fetchone()
    return row is not None
