"""ComfyUI's API-format graphs, queue and history documents (used by the adapter).

An API-format graph (ComfyUI's Workflow → Export (API)) maps node ids to
``{"class_type", "inputs", "_meta"}``; an input is a value or a link
``[node_id, output_index]``. Values are set by path, ``"<node id>.inputs.<field>"``.
See :mod:`engine.providers.comfyui` for the protocol.
"""

from __future__ import annotations

import copy
import json
import mimetypes
import re
from collections.abc import Mapping
from typing import Any

from engine.errors import PermanentNodeError
from engine.providers.mapping import object_at

__all__ = [
    "assign_binding",
    "describe_prompt_error",
    "found_files",
    "history_finished",
    "load_api_graph",
    "merge_patch",
    "node_list",
    "parse_json",
    "queue_place",
]

_SAVE_NODES = ("SaveImage", "SaveAnimatedWEBP", "SaveAnimatedPNG", "SaveVideo", "SaveAudio")
_FILE_KEYS = ("images", "gifs", "videos", "video", "audio", "animated")
_KINDS = {"image": "@image", "video": "@video", "audio": "@audio"}
_NODE_ID = re.compile(r"^[A-Za-z0-9_:-]+$")


def load_api_graph(data: Any, *, source: str) -> dict[str, Any]:
    """An API-format ComfyUI graph from parsed JSON, checked (``source`` names it)."""
    if isinstance(data, Mapping) and "nodes" in data and "links" in data:
        raise PermanentNodeError(
            f"{source} is a ComfyUI UI workflow, not the API format: in ComfyUI use "
            "Workflow → Export (API) and choose that file",
            details={"code": "invalid_workflow"},
        )
    valid = isinstance(data, Mapping) and bool(data)
    if valid:
        for node_id, node in data.items():
            if not (
                isinstance(node_id, str)
                and isinstance(node, Mapping)
                and isinstance(node.get("class_type"), str)
                and isinstance(node.get("inputs", {}), Mapping)
            ):
                valid = False
                break
    if not valid:
        raise PermanentNodeError(
            f"{source} is not a ComfyUI API-format workflow (an object of nodes, each with "
            "'class_type' and 'inputs')",
            details={"code": "invalid_workflow"},
        )
    graph: dict[str, Any] = copy.deepcopy(dict(data))
    return graph


def parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise PermanentNodeError(
            f"{source} is not valid JSON: {exc}", details={"code": "invalid_workflow"}
        ) from None


def node_list(graph: Mapping[str, Any]) -> str:
    ids = sorted(graph, key=lambda n: (len(n), n))
    return ", ".join(ids[:12]) + (" …" if len(ids) > 12 else "")


def _coerce(old: Any, new: Any) -> Any:
    """``new`` in the type the graph had there (a seed wired as 7.0 stays an int)."""
    if isinstance(old, int) and not isinstance(old, bool) and isinstance(new, float):
        return int(new) if new.is_integer() else new
    return new


def merge_patch(node: dict[str, Any], patch: Mapping[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, Mapping) and isinstance(node.get(key), dict):
            merge_patch(node[key], value)
        else:
            node[key] = _coerce(node.get(key), value)


def assign_binding(graph: dict[str, Any], path: str, value: Any, exposed: str) -> None:
    parts = [p for p in path.strip().split(".") if p]
    if len(parts) < 2 or not _NODE_ID.match(parts[0]):
        raise PermanentNodeError(
            f"binding {exposed!r}: {path!r} is not a path like '6.inputs.text'",
            details={"code": "invalid_param", "binding": exposed},
        )
    node = graph.get(parts[0])
    if not isinstance(node, dict):
        raise PermanentNodeError(
            f"binding {exposed!r}: node {parts[0]!r} is not in the workflow "
            f"(nodes: {node_list(graph)})",
            details={"code": "invalid_param", "binding": exposed},
        )
    keys = parts[1:] if parts[1] == "inputs" else ["inputs", *parts[1:]]
    target = object_at(node, keys[:-1])
    target[keys[-1]] = _coerce(target.get(keys[-1]), value)


def history_finished(entry: Mapping[str, Any]) -> bool:
    status = entry.get("status")
    if isinstance(status, Mapping):
        return bool(status.get("completed")) or status.get("status_str") in ("success", "error")
    return bool(entry.get("outputs"))


def queue_place(queue: Any, prompt_id: str) -> int | None:
    """0 while running, 1… while waiting (its place in line), ``None`` if not queued."""
    if not isinstance(queue, Mapping):
        return None
    running = queue.get("queue_running")
    pending = queue.get("queue_pending")
    items = (
        [i for i in running if isinstance(i, list) and len(i) > 1]
        if isinstance(running, list)
        else []
    )
    if any(item[1] == prompt_id for item in items):
        return 0
    waiting = (
        [i for i in pending if isinstance(i, list) and len(i) > 1]
        if isinstance(pending, list)
        else []
    )
    ours = next((item for item in waiting if item[1] == prompt_id), None)
    if ours is None:
        return None
    number = ours[0] if isinstance(ours[0], int | float) else 0
    return 1 + sum(1 for item in waiting if isinstance(item[0], int | float) and item[0] < number)


def _kind(filename: str) -> str | None:
    media_type = mimetypes.guess_type(filename)[0] or ""
    if filename.lower().endswith((".webm", ".mkv")):
        return "video"
    return next((k for k in _KINDS if media_type.startswith(f"{k}/")), None)


def found_files(graph: Mapping[str, Any], outputs: Any, only: str | None) -> dict[str, Any]:
    """``@image``/``@video``/``@audio``/``@text``: the first file of each kind a node wrote."""
    if not isinstance(outputs, Mapping):
        return {}

    def rank(node_id: str) -> tuple[int, int, str]:
        node = graph.get(node_id)
        saver = isinstance(node, Mapping) and node.get("class_type") in _SAVE_NODES
        return (0 if saver else 1, len(node_id), node_id)

    found: dict[str, Any] = {}
    temporary: dict[str, Any] = {}
    texts: list[str] = []
    for node_id in sorted((n for n in outputs if only is None or n == only), key=rank):
        result = outputs[node_id]
        if not isinstance(result, Mapping):
            continue
        text = result.get("text")
        if isinstance(text, list):
            texts.extend(str(t) for t in text)
        for key in _FILE_KEYS:
            files = result.get(key)
            for item in files if isinstance(files, list) else []:
                if not isinstance(item, Mapping) or not isinstance(item.get("filename"), str):
                    continue
                kind = _kind(item["filename"])
                if kind is None:
                    continue
                bucket = found if item.get("type", "output") == "output" else temporary
                bucket.setdefault(_KINDS[kind], item)
    if texts:
        found["@text"] = "\n".join(texts)
    return {**temporary, **found}


def describe_prompt_error(body: Mapping[str, Any]) -> str:
    error = body.get("error")
    if isinstance(error, Mapping):
        head = str(error.get("message") or error.get("type") or "invalid prompt")
        detail = error.get("details")
        if isinstance(detail, str) and detail.strip() and detail.strip() not in head:
            head = f"{head}: {detail.strip()}"
    else:
        head = str(error or "invalid prompt")
    problems = []
    node_errors = body.get("node_errors")
    for node_id, info in node_errors.items() if isinstance(node_errors, Mapping) else []:
        if not isinstance(info, Mapping):
            continue
        class_type = info.get("class_type", "?")
        for problem in info.get("errors") or []:
            if not isinstance(problem, Mapping):
                continue
            text = str(problem.get("message") or problem.get("type") or "error")
            detail = problem.get("details")
            if isinstance(detail, str) and detail.strip():
                text = f"{text}: {detail.strip()}"
            problems.append(f"node {node_id} ({class_type}): {text}")
    return head + (" — " + "; ".join(problems) if problems else "")
