"""The fal adapter over real HTTP against the queue-API double."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest

from engine.artifacts import ArtifactStore
from engine.catalog import Catalog, PortSpec, PortType
from engine.errors import PermanentNodeError, TransientNodeError
from engine.executor import ErrorKind, ExecutionState, Executor, NodeState, RunOptions
from engine.nodes.base import NodeContext
from engine.providers import FAST_POLL, ProviderCall, make_hosted_node
from engine.providers.fal import FalProvider
from engine.values import Artifact, decode_value
from engine.workflow import Workflow
from tests.engine.providers.conftest import (
    FAL_KEY,
    assert_secret_absent,
    context,
    fal_flux_spec,
    run_node,
    run_workflow,
)
from tests.engine.providers.doubles import FalDouble
from tests.engine.providers.doubles.media import png


async def test_generates_an_image_artifact_of_the_requested_size(
    fal: FalDouble, store: ArtifactStore
) -> None:
    spec = fal_flux_spec()
    run = await run_node(spec, store, {"prompt": "a red sneaker", "image_size": "landscape_16_9"})

    image = run.outputs["image"]
    assert isinstance(image, Artifact)
    assert image.kind == PortType.IMAGE
    assert image.media_type == "image/png"
    assert (image.metadata["width"], image.metadata["height"]) == (64, 36)
    assert image.metadata["provider"] == "fal" and image.metadata["model"] == "fal-ai/flux/dev"
    assert store.read_bytes(image).startswith(b"\x89PNG")

    (submit,) = fal.calls("POST")
    assert submit.path == "/fal-ai/flux/dev"
    assert submit.headers["authorization"] == f"Key {FAL_KEY}"
    assert submit.json == {
        "prompt": "a red sneaker",
        "image_size": "landscape_16_9",
        "num_inference_steps": 28,
    }
    # Status and result live under the app id, without the /dev sub-path.
    statuses = fal.calls("GET", "/status")
    assert statuses and all(r.path.startswith("/fal-ai/flux/requests/") for r in statuses)
    assert all(r.query["logs"] == ["1"] for r in statuses)


async def test_queue_position_and_progress_are_reported(
    fal: FalDouble, store: ArtifactStore
) -> None:
    run = await run_node(fal_flux_spec(), store, {"prompt": "a lighthouse"})

    messages = [message for _, message in run.progress]
    assert "queued at fal (position 2)" in messages
    assert "queued at fal (position 1)" in messages
    assert "queued at fal (position 0)" in messages
    assert "15/20 steps" in messages  # the runner's last log line while IN_PROGRESS
    fractions = [fraction for fraction, _ in run.progress]
    assert 0.75 in fractions  # parsed from "15/20 steps"
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


async def test_a_429_then_a_503_are_retried_by_the_executor(fal: FalDouble, data_dir: Path) -> None:
    fal.fail_next("submit", 429, {"detail": "Too many requests"}, headers={"Retry-After": "0"})
    fal.fail_next("submit", 503, {"detail": "No runner available", "error_type": "x"})

    record = await run_workflow(fal_flux_spec(), {"prompt": "a kite"}, data_dir)

    assert record.status == ExecutionState.COMPLETED
    node = record.node("gen")
    assert node.status == NodeState.COMPLETED and node.attempts == 3
    assert node.credits == 2.5  # charged once, for the attempt that worked
    assert len(fal.calls("POST")) == 3
    image = decode_value(record.outputs["gen"])
    assert isinstance(image, Artifact) and image.kind == PortType.IMAGE


async def test_retry_after_is_passed_on_to_the_executor(
    fal: FalDouble, store: ArtifactStore
) -> None:
    fal.fail_next("submit", 429, {"detail": "Rate limit exceeded"}, headers={"Retry-After": "7"})

    with pytest.raises(TransientNodeError) as caught:
        await run_node(fal_flux_spec(), store, {"prompt": "a kite"})

    assert caught.value.retry_after == 7.0
    assert "rate limited (HTTP 429): Rate limit exceeded" in caught.value.message


async def test_a_transient_status_poll_failure_does_not_resubmit(
    fal: FalDouble, store: ArtifactStore
) -> None:
    fal.fail_next("status", 503, {"detail": "upstream hiccup"})

    run = await run_node(fal_flux_spec(), store, {"prompt": "a kite"})

    assert isinstance(run.outputs["image"], Artifact)
    assert len(fal.calls("POST")) == 1


async def test_a_bad_key_fails_permanently_with_fals_message(
    fal: FalDouble, store: ArtifactStore, monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    monkeypatch.setenv("FAL_KEY", "wrong-key-id:wrong-key-secret")

    record = await run_workflow(fal_flux_spec(), {"prompt": "a kite"}, data_dir)

    node = record.node("gen")
    assert node.status == NodeState.FAILED and node.attempts == 1
    assert node.error is not None and node.error.kind == ErrorKind.PERMANENT
    assert node.error.message == (
        "fal rejected the API key (FAL_KEY) (HTTP 401): No user found for Key ID and Secret"
    )
    assert node.error.details["code"] == "auth"


async def test_a_validation_error_names_the_field(fal: FalDouble, store: ArtifactStore) -> None:
    spec = fal_flux_spec(provider_options={"param_fields": {"prompt": None}})

    with pytest.raises(PermanentNodeError) as caught:
        await run_node(spec, store, {"prompt": "never sent"}, {"prompt": None})

    assert caught.value.message == "fal rejected the request (HTTP 422): prompt: field required"
    assert caught.value.details["code"] == "invalid_request"


async def test_a_content_policy_refusal_is_permanent(fal: FalDouble, data_dir: Path) -> None:
    record = await run_workflow(fal_flux_spec(), {"prompt": "something forbidden"}, data_dir)

    node = record.node("gen")
    assert node.status == NodeState.FAILED and node.attempts == 1
    assert node.error is not None and node.error.kind == ErrorKind.PERMANENT
    assert node.error.message == (
        "fal refused the request (content policy): "
        "prompt: The content was flagged by a content checker."
    )
    assert node.error.details["code"] == "moderation"
    assert node.credits == 0


async def test_an_nsfw_flagged_result_is_a_refusal(fal: FalDouble, store: ArtifactStore) -> None:
    with pytest.raises(PermanentNodeError, match="flagged the output as NSFW") as caught:
        await run_node(fal_flux_spec(), store, {"prompt": "nsfw please"})
    assert caught.value.details["code"] == "moderation"


async def test_a_malformed_result_is_a_clear_permanent_error(
    fal: FalDouble, store: ArtifactStore
) -> None:
    with pytest.raises(PermanentNodeError) as caught:
        await run_node(fal_flux_spec(), store, {"prompt": "malformed"})

    assert caught.value.message.startswith(
        "fal sent a malformed response (HTTP 200, text/html): expected JSON, got '<html>"
    )
    assert caught.value.details["code"] == "malformed_response"


async def test_a_result_without_the_output_names_what_is_missing(
    fal: FalDouble, store: ArtifactStore
) -> None:
    with pytest.raises(PermanentNodeError) as caught:
        await run_node(fal_flux_spec(), store, {"prompt": "empty"})

    message = caught.value.message
    assert "no value for output 'image'" in message and "'images[0].url': no item [0]" in message


async def test_cancelling_a_slow_job_calls_the_cancel_endpoint(
    fal: FalDouble, store: ArtifactStore
) -> None:
    implementation = make_hosted_node(fal_flux_spec(), poll=FAST_POLL)
    ctx = context(fal_flux_spec(), store, {"prompt": "a slow render"})
    task = asyncio.ensure_future(implementation(ctx, {"prompt": "a slow render"}))  # type: ignore[arg-type]
    while len(fal.calls("GET", "/status")) < 3:
        await asyncio.sleep(0.01)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    (cancel,) = fal.calls("PUT")
    assert cancel.path.endswith("/cancel") and cancel.headers["authorization"] == f"Key {FAL_KEY}"
    (job,) = fal.jobs.values()
    assert job.cancelled


async def test_a_workflow_cancelled_mid_job_cancels_at_fal(fal: FalDouble, data_dir: Path) -> None:
    spec = fal_flux_spec()
    catalog = Catalog()
    catalog.register(spec, make_hosted_node(spec, poll=FAST_POLL))
    workflow = Workflow.model_validate(
        {"name": "w", "nodes": [{"id": "gen", "type": spec.type, "data": {"prompt": "slow"}}]}
    )
    executor = Executor(catalog, artifacts=ArtifactStore(data_dir / "artifacts"))
    handle = executor.start(workflow, RunOptions())
    while len(fal.calls("GET", "/status")) < 3:
        await asyncio.sleep(0.01)

    handle.cancel()
    record = await handle.wait()

    assert record.status == ExecutionState.CANCELLED
    assert record.node("gen").status == NodeState.CANCELLED
    assert len(fal.calls("PUT", "/cancel")) == 1
    (job,) = fal.jobs.values()
    assert job.cancelled


async def test_a_video_output_is_stored_as_video(fal: FalDouble, store: ArtifactStore) -> None:
    spec = fal_flux_spec(
        model_id="fal-ai/kling-video/v2.1/standard/text-to-video",
        outputs=(PortSpec(name="video", type=PortType.VIDEO),),
        provider_options={},  # the default output path for video: "video"
    )
    fal.kinds[spec.model_id or ""] = "video"

    run = await run_node(spec, store, {"prompt": "waves"})

    video = run.outputs["video"]
    assert isinstance(video, Artifact)
    assert (video.kind, video.media_type, video.filename) == (
        PortType.VIDEO,
        "video/mp4",
        "output.mp4",
    )
    assert store.read_bytes(video)[4:8] == b"ftyp"


async def test_an_image_input_is_sent_as_a_data_uri(fal: FalDouble, store: ArtifactStore) -> None:
    source = store.put_bytes(png(8, 8), kind=PortType.IMAGE, media_type="image/png")
    spec = fal_flux_spec(
        model_id="fal-ai/flux/dev/image-to-image",
        inputs=(
            PortSpec(name="prompt", type=PortType.TEXT),
            PortSpec(name="image", type=PortType.IMAGE),
        ),
        provider_options={"input_fields": {"image": "image_url"}},
    )

    await run_node(spec, store, {"prompt": "make it blue"}, {"image": source})

    body = fal.calls("POST")[0].json
    prefix = "data:image/png;base64,"
    assert body["image_url"].startswith(prefix)
    assert base64.b64decode(body["image_url"][len(prefix) :]) == store.read_bytes(source)


async def test_an_input_over_the_inline_limit_is_refused_with_the_limit(
    fal: FalDouble, store: ArtifactStore
) -> None:
    source = store.put_bytes(png(64, 64), kind=PortType.IMAGE, media_type="image/png")
    spec = fal_flux_spec(
        inputs=(PortSpec(name="image", type=PortType.IMAGE),),
        provider_options={"input_fields": {"image": "image_url"}},
    )
    ctx = context(spec, store, {"prompt": "x"})

    class TinyFal(FalProvider):
        inline_input_limit = 100

    async with TinyFal(api_key=FAL_KEY, poll=FAST_POLL) as provider:
        with pytest.raises(PermanentNodeError) as caught:
            await provider.run(ProviderCall(spec, ctx.params, {"image": source}, ctx))
    assert caught.value.message == (
        f"input 'image' is {source.size} bytes; fal inputs are sent inline up to 100 bytes. "
        "Resize it first or host it and pass its URL."
    )
    assert caught.value.details["code"] == "input_too_large"
    assert not fal.calls("POST")


async def test_urls_on_another_origin_are_not_followed() -> None:
    provider = FalProvider(api_key=FAL_KEY, base_url="https://queue.fal.run")
    try:
        assert provider.follow("https://evil.example/x/status", "/a/b/requests/1/status") == (
            "https://queue.fal.run/a/b/requests/1/status"
        )
        assert provider.follow("https://queue.fal.run/a/b/requests/1", "/unused") == (
            "https://queue.fal.run/a/b/requests/1"
        )
    finally:
        await provider.aclose()


async def test_the_key_never_leaks_on_any_failure_path(
    fal: FalDouble,
    data_dir: Path,
    store: ArtifactStore,
    debug_logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A provider that echoes the key back in its error must not get it into our errors.
    fal.fail_next("submit", 401, {"detail": f"Invalid key {FAL_KEY}"})
    fal.fail_next("submit", 500, {"detail": f"boom for {FAL_KEY.split(':')[1]}"}, times=3)
    fal.fail_next("status", 403, {"detail": f"forbidden {FAL_KEY}"}, times=1)
    seen: list[object] = []
    for prompt in ("leak 401", "leak 500", "leak status", "forbidden", "malformed", "nsfw", "ok"):
        record = await run_workflow(fal_flux_spec(), {"prompt": prompt}, data_dir)
        seen.append(record)
        node = record.node("gen")
        if node.error is not None:
            assert "[redacted]" in node.error.message or FAL_KEY not in node.error.message
    assert [r.status for r in seen[:-1]] == [ExecutionState.FAILED] * 6  # type: ignore[attr-defined]
    # Direct runs, so the raised exceptions themselves can be inspected too.
    for prompt in ("forbidden", "malformed"):
        with pytest.raises(PermanentNodeError) as caught:
            await run_node(fal_flux_spec(), store, {"prompt": prompt})
        seen.append(caught.value)
    fal.fail_next("submit", 429, {"detail": f"slow down {FAL_KEY}"}, headers={"Retry-After": "1"})
    with pytest.raises(TransientNodeError) as transient:
        await run_node(fal_flux_spec(), store, {"prompt": "x"})
    seen.append(transient.value)
    assert "[redacted]" in transient.value.message
    # A cancelled job, and a connection failure.
    ctx: NodeContext = context(fal_flux_spec(), store, {"prompt": "slow"})
    task = asyncio.ensure_future(make_hosted_node(fal_flux_spec(), poll=FAST_POLL)(ctx, {}))  # type: ignore[arg-type]
    while not fal.calls("GET", "/status"):
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    monkeypatch.setenv("PATCHBAY_FAL_BASE_URL", "http://127.0.0.1:9")
    with pytest.raises(TransientNodeError) as unreachable:
        await run_node(fal_flux_spec(), store, {"prompt": "x"})
    seen.append(unreachable.value)

    assert_secret_absent(FAL_KEY, *seen, caplog=debug_logs)
    assert any("httpx" in r.name or "httpcore" in r.name for r in debug_logs.records)
