"""Limits: workflow size (422 with violations), request bodies (413), webhook payloads."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
from PIL import Image

from tests.server.conftest import Server, create_workflow, greeting_workflow, image_input_workflow


def many_nodes(count: int) -> list[dict[str, Any]]:
    return [{"id": f"n{i}", "type": "input.text", "data": {"name": f"n{i}"}} for i in range(count)]


def nested(depth: int) -> dict[str, Any]:
    """A ``data`` object ``depth`` levels deep (the object itself is level 1)."""
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"x": value}
    return value


def codes(response: httpx.Response) -> set[str]:
    return {v["code"] for v in response.json()["error"]["violations"]}


def test_workflow_limits_are_422_with_every_violation(server: Server) -> None:
    key = server.create_key("limits")
    with server.client(key) as client:
        at_limit = {"schemaVersion": 1, "name": "100", "nodes": many_nodes(100), "edges": []}
        assert client.post("/api/v1/workflows", json=at_limit).status_code == 201

        too_many = {"schemaVersion": 1, "nodes": many_nodes(101), "edges": []}
        response = client.post("/api/v1/workflows", json=too_many)
        assert response.status_code == 422
        error = response.json()["error"]
        assert (error["type"], error["code"]) == ("invalid_request_error", "invalid_workflow")
        assert "too_many_nodes" in codes(response)

        edges = [
            {"id": f"e{i}", "source": "n0", "sourceHandle": "text", "target": "n1",
             "targetHandle": "x"}
            for i in range(501)
        ]  # fmt: skip
        document = {"schemaVersion": 1, "nodes": many_nodes(2), "edges": edges}
        assert "too_many_edges" in codes(client.post("/api/v1/workflows", json=document))

        deep = greeting_workflow()
        deep["nodes"][1]["data"]["template"] = "{a}"
        deep["nodes"][1]["data"]["extra"] = nested(10)  # level 11 counting data itself
        response = client.post("/api/v1/workflows", json=deep)
        assert response.status_code == 422
        assert "data_too_deep" in codes(response)

        everything = {"schemaVersion": 1, "nodes": many_nodes(101), "edges": edges}
        everything["nodes"][0]["data"]["deep"] = nested(11)
        assert {"too_many_nodes", "too_many_edges", "data_too_deep"} <= codes(
            client.post("/api/v1/workflows", json=everything)
        )

        # The limits hold for an unsaved edit sent to execute, too.
        workflow_id = create_workflow(client, greeting_workflow())
        response = client.post(
            f"/api/v1/workflows/{workflow_id}/execute", json={"nodes": many_nodes(101)}
        )
        assert response.status_code == 422
        assert "too_many_nodes" in codes(response)
        # Run inputs are bounded too.
        deep_input: list[object] = []
        for _ in range(40):
            deep_input = [deep_input]
        response = client.post(
            f"/api/v1/workflows/{workflow_id}/execute", json={"inputs": {"who": deep_input}}
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_inputs"
        # ... and for a replacement.
        response = client.put(f"/api/v1/workflows/{workflow_id}", json=too_many)
        assert response.status_code == 422
        assert client.get(f"/api/v1/workflows/{workflow_id}").json()["version"] == 1


def test_violations_name_nodes_and_suggest_fixes(server: Server) -> None:
    key = server.create_key("violations")
    document = greeting_workflow()
    document["edges"][1]["targetHandle"] = "txt"
    document["nodes"].append({"id": "x", "type": "text.templat", "data": {}})
    with server.client(key) as client:
        response = client.post("/api/v1/workflows", json=document)
    assert response.status_code == 422
    violations = {v["code"]: v for v in response.json()["error"]["violations"]}
    assert violations["unknown_port"]["edgeId"] == "e2"
    assert "text" in violations["unknown_port"]["hint"]
    assert violations["unknown_node_type"]["nodeId"] == "x"


def test_oversized_bodies_are_413(server: Server) -> None:
    key = server.create_key("big-bodies")
    big = {"schemaVersion": 1, "nodes": [], "edges": [], "description": "x" * 1_100_000}
    with server.client(key) as client:
        declared = client.post("/api/v1/workflows", json=big)
        assert declared.status_code == 413
        error = declared.json()["error"]
        assert (error["code"], error["limit"]) == ("payload_too_large", 1_048_576)
        assert "X-RateLimit-Remaining" in declared.headers

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
            yield b'{"schemaVersion": 1, "description": "'
            for _ in range(40):
                yield b"y" * 32_768
            yield b'"}'

        streamed = client.post(
            "/api/v1/workflows", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert streamed.status_code == 413
        assert streamed.json()["error"]["code"] == "payload_too_large"
        assert client.get("/api/v1/workflows").json()["total"] == 0


def png(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_webhook_payload_limits(server: Server) -> None:
    key = server.create_key("hook-limits")
    with server.client(key) as client:
        workflow_id = create_workflow(client, image_input_workflow())
        url = client.post(f"/api/v1/workflows/{workflow_id}/publish").json()["webhookUrl"]
    too_big_json = httpx.post(url, json={"title": "t" * 300_000})
    assert too_big_json.status_code == 413
    assert too_big_json.json()["error"]["limit"] == 262_144
    too_many_files = httpx.post(url, files=[("photo", (f"{i}.png", png())) for i in range(9)])
    assert too_many_files.status_code == 413
    too_many_fields = httpx.post(url, data={f"f{i}": "v" for i in range(101)})
    assert too_many_fields.status_code == 413
    # An image upload may be larger than a JSON body, up to the multipart limit.
    upload = httpx.post(
        url, files={"photo": ("big.png", png((400, 400)) + b"\0" * 300_000)}, data={"title": "ok"}
    )
    assert upload.status_code == 202, upload.text
