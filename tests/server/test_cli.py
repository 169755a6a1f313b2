"""``patchbay keys`` and ``patchbay credits``: what an operator types."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.server.conftest import cli


def test_keys_are_printed_once_and_stored_hashed(tmp_path: Path) -> None:
    created = cli(
        "keys", "create", "--name", "acme", "--tier", "starter", "--credits", "12.5",
        data_dir=tmp_path,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    lines = created.stdout.splitlines()
    secret = lines[-1]
    assert secret.startswith("pb_") and len(secret) >= 40 and " " not in secret
    assert "starter" in lines[0] and "12.5 credits" in lines[0]

    with sqlite3.connect(tmp_path / "server.sqlite3") as db:
        stored = db.execute("SELECT hash, prefix FROM api_keys").fetchall()
    assert len(stored) == 1
    assert secret not in stored[0] and stored[0][1] == secret[:12]
    assert secret not in (tmp_path / "server.sqlite3").read_bytes().decode("latin-1")

    listing = cli("keys", "list", data_dir=tmp_path)
    assert secret[:12] in listing.stdout and secret not in listing.stdout
    assert "active" in listing.stdout
    rows = json.loads(cli("keys", "list", "--json", data_dir=tmp_path).stdout)
    assert rows[0]["tier"] == "starter" and rows[0]["credits"] == 12.5

    added = cli("credits", "add", rows[0]["accountId"], "7.5", data_dir=tmp_path)
    assert added.returncode == 0 and "balance 20" in added.stdout
    by_prefix = cli("credits", "add", secret[:12], "-5", "--note", "refund", data_dir=tmp_path)
    assert "balance 15" in by_prefix.stdout

    revoked = cli("keys", "revoke", rows[0]["id"], data_dir=tmp_path)
    assert revoked.returncode == 0
    assert "revoked" in cli("keys", "list", data_dir=tmp_path).stdout
    assert cli("keys", "revoke", "key_nope", data_dir=tmp_path).returncode == 2
    assert cli("credits", "add", "nobody", "1", data_dir=tmp_path).returncode == 2


def test_serve_refuses_a_broken_configuration(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[tiers.free]\nrequests_per_minute = 0\n")
    result = cli("serve", "--config", str(config), "--port", "1", data_dir=tmp_path)
    assert result.returncode == 2
    assert "requests_per_minute" in result.stderr
