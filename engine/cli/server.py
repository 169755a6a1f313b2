"""``patchbay serve``, ``patchbay keys create|list|revoke``, ``patchbay credits add``.

Every command takes ``--data-dir`` (default: ``$PATCHBAY_DATA_DIR`` or the platform
data directory); the key and credit commands write the same SQLite database the
server uses, and may run while it is running.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from engine.cli.commands import EXIT_INVALID, EXIT_OK
from engine.cli.render import print_json
from engine.paths import default_data_dir

TIERS = ("free", "starter", "pro", "enterprise")


def add_server_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the server subcommands on the ``patchbay`` parser."""
    serve = sub.add_parser("serve", help="run the REST API server")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    _data_dir(serve)
    serve.add_argument("--config", help="TOML file merged over the default configuration")
    serve.add_argument(
        "--extra-nodes",
        default=None,
        metavar="MODULE:FUNCTION[,...]",
        help="node plugins to register (default: $PATCHBAY_EXTRA_NODES)",
    )
    serve.add_argument("--log-level", default="info", help="uvicorn log level")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(handler=serve_command)

    keys = sub.add_parser("keys", help="create, list and revoke API keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = keys_sub.add_parser("create", help="create a key (printed once)")
    create.add_argument("--name", required=True, help="the account's (or key's) name")
    create.add_argument("--tier", choices=TIERS, default="free", help="tier of a new account")
    create.add_argument("--credits", type=float, default=0.0, help="opening credit balance")
    create.add_argument(
        "--account", help="add the key to this existing account (id, name or key prefix)"
    )
    create.add_argument("--json", action="store_true", help="print the key and ids as JSON")
    _data_dir(create)
    create.set_defaults(handler=keys_create_command)
    listing = keys_sub.add_parser("list", help="list keys (prefixes only)")
    listing.add_argument("--json", action="store_true", help="print as JSON")
    _data_dir(listing)
    listing.set_defaults(handler=keys_list_command)
    revoke = keys_sub.add_parser("revoke", help="revoke a key")
    revoke.add_argument("key", help="the key's id or prefix")
    _data_dir(revoke)
    revoke.set_defaults(handler=keys_revoke_command)

    credits = sub.add_parser("credits", help="manage account credits")
    credits_sub = credits.add_subparsers(dest="credits_command", required=True, metavar="ACTION")
    add = credits_sub.add_parser("add", help="add credits to an account (negative: deduct)")
    add.add_argument("account", help="account id, account name, key id or key prefix")
    add.add_argument("amount", type=float, help="credits to add")
    add.add_argument("--note", help="a note stored in the ledger")
    _data_dir(add)
    add.set_defaults(handler=credits_add_command)


def _data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", help="server data directory (default: $PATCHBAY_DATA_DIR or platform dir)"
    )


def _resolve_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()


def _storage(args: argparse.Namespace) -> Any:
    from engine.server.settings import DATABASE_FILE
    from engine.server.storage import SqliteStorage

    return SqliteStorage(_resolve_dir(args) / DATABASE_FILE)


def serve_command(args: argparse.Namespace) -> int:
    """``patchbay serve``: run the server until interrupted."""
    import uvicorn

    from engine.server import ServerSettings, create_app, load_config
    from engine.server.catalog import EXTRA_NODES_ENV, PluginError, parse_extra_nodes
    from engine.server.settings import ConfigError

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    extra = args.extra_nodes if args.extra_nodes is not None else os.environ.get(EXTRA_NODES_ENV)
    settings = ServerSettings(
        data_dir=_resolve_dir(args), config=config, extra_nodes=parse_extra_nodes(extra)
    )
    try:
        app = create_app(settings)
    except PluginError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    print(
        f"Patchbay server on http://{args.host}:{args.port} (data: {settings.data_dir})",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=args.access_log,
        timeout_graceful_shutdown=5,
    )
    return EXIT_OK


def keys_create_command(args: argparse.Namespace) -> int:
    """``patchbay keys create``: print a new key once, on a line of its own."""
    from engine.server.auth import issue_key
    from engine.server.settings import Tier
    from engine.server.storage import to_micro

    storage = _storage(args)
    try:
        account = None
        if args.account:
            account = storage.find_account(args.account)
            if account is None:
                print(f"error: no account {args.account!r}", file=sys.stderr)
                return EXIT_INVALID
        issued = issue_key(
            storage,
            name=args.name,
            tier=Tier(args.tier),
            credits_micro=to_micro(args.credits),
            account=account,
        )
    finally:
        storage.close()
    if args.json:
        print_json(
            {
                "key": issued.secret,
                "keyId": issued.key.id,
                "prefix": issued.key.prefix,
                "accountId": issued.account.id,
                "tier": issued.account.tier.value,
                "credits": issued.account.balance,
            }
        )
        return EXIT_OK
    print(
        f"Created key {issued.key.id} ({issued.key.prefix}…) for account {issued.account.id} "
        f"{issued.account.name!r}, tier {issued.account.tier.value}, "
        f"{issued.account.balance:g} credits."
    )
    print("Store it now; it is not shown again:")
    print(issued.secret)
    return EXIT_OK


def keys_list_command(args: argparse.Namespace) -> int:
    """``patchbay keys list``: every key's id, prefix, account and state."""
    storage = _storage(args)
    try:
        accounts = {a.id: a for a in storage.list_accounts()}
        keys = storage.list_api_keys()
    finally:
        storage.close()
    rows = []
    for key in keys:
        account = accounts.get(key.account_id)
        rows.append(
            {
                "id": key.id,
                "prefix": key.prefix,
                "name": key.name,
                "accountId": key.account_id,
                "tier": account.tier.value if account else "?",
                "credits": account.balance if account else 0.0,
                "createdAt": key.created_at,
                "revoked": key.revoked_at is not None,
            }
        )
    if args.json:
        print_json(rows)
        return EXIT_OK
    if not rows:
        print("no keys; create one with: patchbay keys create --name NAME")
        return EXIT_OK
    header = f"{'ID':<28} {'PREFIX':<14} {'ACCOUNT':<29} {'TIER':<10} {'CREDITS':>10}  STATE"
    print(header)
    for row in rows:
        state = "revoked" if row["revoked"] else "active"
        print(
            f"{row['id']:<28} {row['prefix'] + '…':<14} {row['accountId']:<29} "
            f"{row['tier']:<10} {row['credits']:>10g}  {state}  {row['name']}"
        )
    return EXIT_OK


def keys_revoke_command(args: argparse.Namespace) -> int:
    """``patchbay keys revoke KEY``: the key stops working at once."""
    storage = _storage(args)
    try:
        key = storage.revoke_api_key(args.key, time.time())
    finally:
        storage.close()
    if key is None:
        print(f"error: no key {args.key!r}", file=sys.stderr)
        return EXIT_INVALID
    print(f"revoked {key.id} ({key.prefix}…)")
    return EXIT_OK


def credits_add_command(args: argparse.Namespace) -> int:
    """``patchbay credits add ACCOUNT AMOUNT``: post a grant to the ledger."""
    from engine.server.storage import to_micro

    storage = _storage(args)
    try:
        account = storage.find_account(args.account)
        if account is None:
            print(f"error: no account {args.account!r}", file=sys.stderr)
            return EXIT_INVALID
        updated = storage.add_credits(account.id, to_micro(args.amount), time.time(), args.note)
    finally:
        storage.close()
    print(f"{updated.id} {updated.name!r}: balance {updated.balance:g} credits")
    return EXIT_OK
