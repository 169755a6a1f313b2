"""The SQLite storage on its own: transactions that keep the books straight."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from engine.server.settings import (
    ConfigError,
    ServerSettings,
    Tier,
    default_config_text,
    load_config,
)
from engine.server.signing import sign, verify
from engine.server.storage import (
    AcceptResult,
    IdempotencyRef,
    IdempotencyState,
    NewExecution,
    SqliteStorage,
    to_micro,
)


def new_execution(account_id: str, execution_id: str, credits: float) -> NewExecution:
    return NewExecution(
        id=execution_id,
        account_id=account_id,
        workflow_id="wf_x",
        webhook_id=None,
        status="QUEUED",
        created_at=time.time(),
        document={},
        request={},
        record={"executionId": execution_id, "status": "QUEUED"},
        estimate_micro=to_micro(credits),
        callback_url=None,
    )


def test_wal_mode_and_acceptance_in_one_transaction(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "db.sqlite3")
    assert storage._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    account = storage.create_account("a", Tier.FREE, to_micro(5), time.time())
    now = time.time()
    outcome = storage.idempotency_begin("key:k", "i1", "fp", now, 60)
    assert outcome.state is IdempotencyState.STARTED
    accepted = storage.accept_execution(
        new_execution(account.id, "ex_1", 3),
        day="2026-01-01",
        daily_limit=2,
        idempotency=IdempotencyRef("key:k", "i1", 201, {"executionId": "ex_1"}),
    )
    assert accepted.result is AcceptResult.ACCEPTED
    assert storage.available_micro(account.id) == to_micro(2)
    replay = storage.idempotency_begin("key:k", "i1", "fp", now, 60)
    assert (replay.state, replay.status_code, replay.response) == (
        IdempotencyState.REPLAY,
        201,
        {"executionId": "ex_1"},
    )
    refused = storage.accept_execution(
        new_execution(account.id, "ex_2", 3), day="2026-01-01", daily_limit=2, idempotency=None
    )
    assert refused.result is AcceptResult.INSUFFICIENT_CREDITS
    assert storage.load_execution("ex_2") is None
    free = storage.accept_execution(
        new_execution(account.id, "ex_3", 0), day="2026-01-01", daily_limit=2, idempotency=None
    )
    assert free.result is AcceptResult.ACCEPTED
    over = storage.accept_execution(
        new_execution(account.id, "ex_4", 0), day="2026-01-01", daily_limit=2, idempotency=None
    )
    assert over.result is AcceptResult.QUOTA_EXCEEDED
    assert storage.usage(account.id, "2026-01-01").executions == 2

    storage.charge(account.id, "ex_1", "paint", to_micro(1), time.time())
    assert storage.get_account(account.id).balance == 4.0  # type: ignore[union-attr]
    assert storage.available_micro(account.id) == to_micro(2)  # 2 still held by ex_1
    storage.finish_execution("ex_1", "COMPLETED", {"status": "COMPLETED"}, time.time())
    assert storage.available_micro(account.id) == to_micro(4)
    storage.close()


def test_idempotency_claims_race_across_connections(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    SqliteStorage(path).close()
    stores = [SqliteStorage(path) for _ in range(6)]
    barrier = threading.Barrier(len(stores))
    outcomes: list[IdempotencyState] = []

    def claim(storage: SqliteStorage) -> None:
        barrier.wait()
        outcomes.append(storage.idempotency_begin("s", "k", "fp", time.time(), 60).state)

    threads = [threading.Thread(target=claim, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == sorted(
        [IdempotencyState.STARTED] + [IdempotencyState.IN_FLIGHT] * (len(stores) - 1)
    )
    assert stores[0].idempotency_begin("s", "k", "other", time.time(), 60).state is (
        IdempotencyState.MISMATCH
    )
    # A crash between claim and acceptance leaves a claim that startup drops.
    stores[0].recover(time.time())
    assert stores[1].idempotency_begin("s", "k", "fp", time.time(), 60).state is (
        IdempotencyState.STARTED
    )
    for storage in stores:
        storage.close()


def test_default_configuration_and_overrides(tmp_path: Path) -> None:
    config = load_config()
    assert config.tier(Tier.FREE).executions_per_day == 50
    assert config.tier(Tier.ENTERPRISE).unlimited_executions
    assert "[tiers.free]" in default_config_text()
    custom = tmp_path / "patchbay.toml"
    custom.write_text("[tiers.free]\nexecutions_per_day = 5\n[limits]\nmax_body_bytes = 4096\n")
    overridden = load_config(custom)
    assert overridden.tier(Tier.FREE).executions_per_day == 5
    assert overridden.tier(Tier.FREE).requests_per_minute == 60  # merged, not replaced
    assert overridden.limits.max_body_bytes == 4096
    custom.write_text("[limits]\nmax_body_bytes = 'big'\n")
    with pytest.raises(ConfigError, match="max_body_bytes"):
        load_config(custom)
    custom.write_text("[limits\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(custom)
    settings = ServerSettings(data_dir=tmp_path)
    assert settings.database_path == tmp_path / "server.sqlite3"


def test_signatures() -> None:
    body = b'{"a": 1}'
    header = sign("secret", body, 1_700_000_000)
    assert verify("secret", header, body, now=1_700_000_100)
    assert not verify("secret", header, body, now=1_700_000_000 + 301)
    assert not verify("secret", header, body + b" ", now=1_700_000_000)
    assert not verify("other", header, body, now=1_700_000_000)
    assert not verify("secret", "v1=abc", body, now=1_700_000_000)
    assert not verify("secret", None, body)
