"""What a published workflow's webhook expects, and a ready ``curl`` call of it.

The trigger's body is the run's inputs, one per ``input.*`` node, named by its
``name`` parameter (else its id): a JSON object, or a multipart form when an image
input needs a file (``engine/server/routes/webhooks.py``). The examples use each
input's default as the value, so the call runs as the canvas does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from engine.executor.plan import input_name
from engine.workflow import Workflow

IMAGE_INPUT = "input.image"
_PLACEHOLDERS: dict[str, Any] = {"input.text": "", "input.number": 0, "input.json": {}}


@dataclass(frozen=True)
class WebhookInput:
    """One input of the webhook: its name, node type and example value."""

    name: str
    node_type: str
    example: Any

    @property
    def is_file(self) -> bool:
        return self.node_type == IMAGE_INPUT


def webhook_inputs(workflow: Workflow) -> list[WebhookInput]:
    """The workflow's run inputs in document order, each with its default as example."""
    found: list[WebhookInput] = []
    seen: set[str] = set()
    for node in workflow.nodes:
        if not node.type.startswith("input."):
            continue
        name = input_name(node, node.data)
        if name in seen:
            continue
        seen.add(name)
        default = node.data.get("default")
        if node.type == IMAGE_INPUT:
            example: Any = PurePath(str(default)).name if default else "image.png"
        elif default is None or (default == "" and node.type != "input.text"):
            example = _PLACEHOLDERS.get(node.type, "")
        else:
            example = default
        found.append(WebhookInput(name, node.type, example))
    return found


def example_payload(workflow: Workflow) -> dict[str, Any]:
    """The JSON inputs a test trigger sends: every non-file input with its example."""
    return {i.name: i.example for i in webhook_inputs(workflow) if not i.is_file}


def curl_example(webhook_url: str, workflow: Workflow) -> str:
    """A ``curl`` command that triggers ``webhook_url`` with the workflow's inputs."""
    inputs = webhook_inputs(workflow)
    lines = [f"curl -X POST {_quote(webhook_url)}"]
    if any(i.is_file for i in inputs):
        for item in inputs:
            if item.is_file:
                lines.append(f"-F {_quote(f'{item.name}=@{item.example}')}")
            else:
                lines.append(f"-F {_quote(f'{item.name}={_form_value(item.example)}')}")
    else:
        body = json.dumps({i.name: i.example for i in inputs}, ensure_ascii=False)
        lines.append("-H 'Content-Type: application/json'")
        lines.append(f"-d {_quote(body)}")
    return " \\\n  ".join(lines)


def _form_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _quote(text: str) -> str:
    """Single-quote ``text`` for a POSIX shell."""
    return "'" + text.replace("'", "'\\''") + "'"
