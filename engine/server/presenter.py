"""Execution records as the API shows them: artifact URLs added, poll and full views."""

from __future__ import annotations

from typing import Any

from engine.server.storage import CallbackState, StoredExecution, from_micro


def artifact_url(base_url: str, artifact_id: str) -> str:
    """Where an artifact is downloaded."""
    return f"{base_url}/api/v1/artifacts/{artifact_id}"


def with_urls(value: Any, base_url: str) -> Any:
    """Encoded values with a ``url`` added to every ``$artifact`` reference."""
    if isinstance(value, dict):
        if set(value) == {"$artifact"} and isinstance(value["$artifact"], dict):
            ref = dict(value["$artifact"])
            if isinstance(ref.get("id"), str):
                ref["url"] = artifact_url(base_url, ref["id"])
            return {"$artifact": ref}
        return {k: with_urls(v, base_url) for k, v in value.items()}
    if isinstance(value, list):
        return [with_urls(v, base_url) for v in value]
    return value


def artifact_ids(value: Any) -> list[str]:
    """Ids of every artifact referenced in encoded values."""
    found: list[str] = []
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$artifact") if len(current) == 1 else None
            if isinstance(ref, dict) and isinstance(ref.get("id"), str):
                found.append(ref["id"])
            else:
                stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return found


def poll_view(record: dict[str, Any], base_url: str) -> dict[str, Any]:
    """``GET /executions/{id}/poll``: status, progress and each node's status."""
    status = record["status"]
    nodes = []
    for node in record.get("nodes", []):
        entry: dict[str, Any] = {
            "nodeId": node["nodeId"],
            "status": node["status"],
            "progress": node.get("progress"),
        }
        if node.get("error"):
            entry["error"] = node["error"]
        nodes.append(entry)
    view: dict[str, Any] = {
        "executionId": record["executionId"],
        "status": status,
        "progress": record.get("progress") or 0.0,
        "nodes": nodes,
    }
    if status == "COMPLETED":
        view["outputs"] = with_urls(record.get("outputs") or {}, base_url)
    if record.get("error"):
        view["error"] = record["error"]
    return view


def full_view(execution: StoredExecution, record: dict[str, Any], base_url: str) -> dict[str, Any]:
    """``GET /workflows/executions/{id}``: the whole record with the request's context."""
    view: dict[str, Any] = with_urls(dict(record), base_url)
    view["workflowId"] = execution.workflow_id
    view["createdAt"] = execution.created_at
    view["estimatedCredits"] = from_micro(execution.estimate_micro)
    view["credits"] = max(float(view.get("credits") or 0.0), from_micro(execution.charged_micro))
    view["inputs"] = with_urls(execution.request.get("inputs") or {}, base_url)
    view["trigger"] = "webhook" if execution.webhook_id else "api"
    if execution.callback_url:
        view["callback"] = {
            "url": execution.callback_url,
            "state": execution.callback_state.value,
            "attempts": execution.callback_attempts,
        }
    elif execution.callback_state is not CallbackState.NONE:  # pragma: no cover - defensive
        view["callback"] = {"state": execution.callback_state.value}
    return view
