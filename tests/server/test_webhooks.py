"""Publishing and triggering: JSON, forms, uploads, signatures, rotation."""

from __future__ import annotations

import io
import json
import time

import httpx
from PIL import Image

from engine.server.signing import sign
from tests.server.conftest import (
    Server,
    create_workflow,
    greeting_workflow,
    image_input_workflow,
    wait_for_end,
)


def png(color: str = "red", size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def test_forms_and_uploads_become_inputs(server: Server) -> None:
    key = server.create_key("forms")
    with server.client(key) as client:
        greeting = create_workflow(client, greeting_workflow())
        thumbnail = create_workflow(client, image_input_workflow())
        greeting_url = client.post(f"/api/v1/workflows/{greeting}/publish").json()["webhookUrl"]
        upload_url = client.post(f"/api/v1/workflows/{thumbnail}/publish").json()["webhookUrl"]

    form = httpx.post(greeting_url, data={"who": "form"})
    empty = httpx.post(greeting_url)
    upload = httpx.post(
        upload_url, files={"photo": ("shot.png", png(), "image/png")}, data={"title": "Shot"}
    )
    assert (form.status_code, empty.status_code, upload.status_code) == (202, 202, 202)

    with server.client(key) as client:
        assert wait_for_end(client, form.json()["executionId"])["outputs"] == {
            "greeting": "hello form"
        }
        assert wait_for_end(client, empty.json()["executionId"])["outputs"] == {
            "greeting": "hello world"
        }
        done = wait_for_end(client, upload.json()["executionId"])
        assert done["status"] == "COMPLETED", done
        assert done["outputs"]["label"] == "Shot"
        thumb = client.get(done["outputs"]["thumbnail"]["$artifact"]["url"])
        assert Image.open(io.BytesIO(thumb.content)).size == (16, 12)  # "fit" keeps 4:3
        record = client.get(f"/api/v1/workflows/executions/{upload.json()['executionId']}").json()
        uploaded = record["inputs"]["photo"]["$artifact"]
        assert (uploaded["filename"], uploaded["mediaType"]) == ("shot.png", "image/png")
        assert client.get(uploaded["url"]).content == png()


def test_bad_trigger_bodies_are_refused_before_running(server: Server) -> None:
    key = server.create_key("bad-bodies")
    with server.client(key) as client:
        workflow_id = create_workflow(client, image_input_workflow())
        url = client.post(f"/api/v1/workflows/{workflow_id}/publish").json()["webhookUrl"]
    unknown = httpx.post(url, json={"photograph": "x"})
    assert unknown.status_code == 422
    error = unknown.json()["error"]
    assert error["code"] == "invalid_inputs"
    assert error["problems"][0]["input"] == "photograph"
    assert {i["name"] for i in error["inputs"]} == {"photo", "title"}
    path = httpx.post(url, json={"photo": "/etc/passwd"})
    assert path.status_code == 422
    assert "upload" in path.json()["error"]["message"]
    not_image = httpx.post(url, files={"photo": ("notes.txt", b"hello", "text/plain")})
    assert not_image.status_code == 422
    assert not_image.json()["error"]["code"] == "invalid_upload"
    array = httpx.post(url, json=["photo"])
    assert array.status_code == 422
    text = httpx.post(url, content=b"photo", headers={"Content-Type": "text/plain"})
    assert text.status_code == 415
    broken = httpx.post(url, content=b"{", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400
    assert broken.json()["error"]["code"] == "invalid_json"
    with server.client(key) as client:
        assert client.get("/api/v1/account").json()["usage"]["executions"] == 0


def test_signed_webhooks_require_a_valid_signature(server: Server) -> None:
    key = server.create_key("signed")
    with server.client(key) as client:
        workflow_id = create_workflow(client, greeting_workflow())
        hook = client.post(f"/api/v1/workflows/{workflow_id}/publish", json={"signed": True})
    published = hook.json()
    secret = published["signingSecret"]
    assert published["signed"] is True and secret.startswith("whsec_")
    url = published["webhookUrl"]
    body = json.dumps({"who": "signed"}).encode()
    headers = {"Content-Type": "application/json"}

    unsigned = httpx.post(url, content=body, headers=headers)
    assert unsigned.status_code == 401
    assert unsigned.json()["error"]["code"] == "invalid_signature"
    forged = httpx.post(
        url, content=body, headers={**headers, "Patchbay-Signature": sign("wrong", body)}
    )
    assert forged.status_code == 401
    stale = httpx.post(
        url,
        content=body,
        headers={**headers, "Patchbay-Signature": sign(secret, body, int(time.time()) - 3600)},
    )
    assert stale.status_code == 401
    good = httpx.post(
        url, content=body, headers={**headers, "Patchbay-Signature": sign(secret, body)}
    )
    assert good.status_code == 202
    assert httpx.get(url).json()["signed"] is True


def test_publish_rotates_and_unpublish_deactivates(server: Server) -> None:
    key = server.create_key("rotation")
    with server.client(key) as client:
        workflow_id = create_workflow(client, greeting_workflow())
        first = client.post(f"/api/v1/workflows/{workflow_id}/publish").json()
        second = client.post(f"/api/v1/workflows/{workflow_id}/publish").json()
        assert first["webhookId"] != second["webhookId"]
        assert (
            client.get(f"/api/v1/workflows/{workflow_id}").json()["webhookId"]
            == (second["webhookId"])
        )

        old = httpx.get(first["webhookUrl"]).json()
        assert old == {"webhookId": first["webhookId"], "active": False, "signed": False}
        gone = httpx.post(first["webhookUrl"], json={})
        assert gone.status_code == 410
        assert gone.json()["error"]["code"] == "webhook_inactive"
        assert httpx.post(second["webhookUrl"], json={}).status_code == 202

        unpublished = client.delete(f"/api/v1/workflows/{workflow_id}/publish")
        assert unpublished.json() == {"workflowId": workflow_id, "published": False}
        assert httpx.get(second["webhookUrl"]).json()["active"] is False
        assert httpx.post(second["webhookUrl"], json={}).status_code == 410
        assert client.get(f"/api/v1/workflows/{workflow_id}").json()["published"] is False

    unknown = httpx.get(f"{server.base_url}/workflow/wh_doesnotexist/trigger")
    assert unknown.status_code == 404
    assert httpx.post(f"{server.base_url}/workflow/wh_doesnotexist/trigger").status_code == 404
