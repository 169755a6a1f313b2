"""``patchbay``: the command line (DESIGN §6).

Exit codes: 0 success (run completed, workflow valid), 1 the run failed or was
cancelled, 2 invalid input (bad file, violations, bad ``--input``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import engine
from engine.cli import commands
from engine.cli.commands import EXIT_FAILED
from engine.cli.server import add_server_commands


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="patchbay", description="Run, validate and inspect Patchbay workflows."
    )
    parser.add_argument("--version", action="version", version=f"patchbay {engine.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a workflow with the bundled engine")
    run.add_argument("file", help="a *.patchbay.json workflow")
    run.add_argument(
        "--input",
        "-i",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a run input (repeatable)",
    )
    run.add_argument("--json", action="store_true", help="print the full execution record")
    run.add_argument("--no-cache", action="store_true", help="re-run every node")
    run.add_argument(
        "--preview", action="store_true", help="run hosted nodes offline, nothing charged"
    )
    run.add_argument("--budget", type=float, help="refuse to run above this many credits")
    run.add_argument("--data-dir", help="artifacts and cache (default: platform data dir)")
    run.add_argument("--output-dir", help="where nodes that save files write them")
    run.set_defaults(handler=commands.run_command)

    validate = sub.add_parser("validate", help="check a workflow and list every problem")
    validate.add_argument("file", help="a *.patchbay.json workflow")
    validate.add_argument("--json", action="store_true", help="print violations as JSON")
    validate.set_defaults(handler=commands.validate_command)

    catalog = sub.add_parser("catalog", help="list the node types")
    catalog.add_argument("--json", action="store_true", help="print the whole catalog as JSON")
    catalog.add_argument(
        "--markdown", action="store_true", help="print the reference page docs/nodes.md"
    )
    catalog.set_defaults(handler=commands.catalog_command)

    schema = sub.add_parser("schema", help="print the JSON Schema of workflow files")
    schema.set_defaults(handler=commands.schema_command)

    add_server_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``patchbay``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILED
    return code
