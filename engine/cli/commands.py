"""The ``patchbay`` subcommands. Each takes the parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import sys

from engine.catalog import default_catalog
from engine.cli import render
from engine.errors import WorkflowFileError
from engine.validation import Severity, validate
from engine.workflow import LoadedWorkflow, load_workflow, read_document, workflow_json_schema

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def _load(path: str) -> LoadedWorkflow | None:
    try:
        loaded = load_workflow(path)
    except WorkflowFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    for note in loaded.notes:
        print(f"note: {note}", file=sys.stderr)
    return loaded


def validate_command(args: argparse.Namespace) -> int:
    """``patchbay validate FILE``: every violation, exit 2 if any is an error."""
    try:
        document = read_document(args.file)
    except WorkflowFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    violations = validate(document)
    errors = [v for v in violations if v.severity == Severity.ERROR]
    if args.json:
        render.print_json({"valid": not errors, "violations": [v.to_json() for v in violations]})
    else:
        for violation in violations:
            print(render.violation_line(violation))
        if errors:
            print(f"{args.file}: {render.plural(len(errors), 'error')}", file=sys.stderr)
        else:
            warnings = len(violations)
            suffix = f" ({render.plural(warnings, 'warning')})" if warnings else ""
            print(f"{args.file}: valid{suffix}")
    return EXIT_INVALID if errors else EXIT_OK


def catalog_command(args: argparse.Namespace) -> int:
    """``patchbay catalog``: node types per category, the whole catalog as JSON or Markdown."""
    catalog = default_catalog()
    if args.json:
        render.print_json(catalog.export())
        return EXIT_OK
    if args.markdown:
        from engine.catalog.docs import catalog_markdown

        sys.stdout.write(catalog_markdown(catalog))
        return EXIT_OK
    counts = catalog.counts_by_category()
    for category, count in counts.items():
        print(f"{category.value} ({count})")
        for spec in catalog:
            if spec.category == category:
                print(f"  {spec.type:<36} {spec.display_name}")
    print()
    print(render.table(["category", "node types"], [[c.value, str(n)] for c, n in counts.items()]))
    print(f"{len(catalog)} node types")
    return EXIT_OK


def schema_command(args: argparse.Namespace) -> int:
    """``patchbay schema``: the JSON Schema of workflow files."""
    render.print_json(workflow_json_schema())
    return EXIT_OK


def run_command(args: argparse.Namespace) -> int:
    """``patchbay run FILE``: run with live progress; see :mod:`engine.cli.run`."""
    from engine.cli.run import run_workflow

    loaded = _load(args.file)
    if loaded is None:
        return EXIT_INVALID
    return run_workflow(loaded.workflow, args)
