"""The Replicate adapter over real HTTP against the predictions-API double."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from engine.artifacts import ArtifactStore
from engine.catalog import Catalog, PortSpec, PortType
from engine.errors import PermanentNodeError, TransientNodeError
from engine.executor import ErrorKind, ExecutionState, Executor, NodeState, RunOptions
from engine.providers import FAST_POLL, make_hosted_node
from engine.values import Artifact, Batch, decode_value
from engine.workflow import Workflow
from tests.engine.providers.conftest import (
    REPLICATE_TOKEN,
    assert_secret_absent,
    context,
    replicate_flux_spec,
    run_node,
    run_workflow,
)
from tests.engine.providers.doubles import ReplicateDouble
from tests.engine.providers.doubles.replicate import NSFW_ERROR

VERSION = "80a09d66baa990429c2f5ae8a4306bf778a1b3775afd01cc2cc8bdbe9033769c"


async def test_generates_an_image_artifact_of_the_requested_size(
    replicate: ReplicateDouble, store: ArtifactStore
) -> None:
    run = await run_node(
        replicate_flux_spec(),
        store,
        {"prompt": "a red sneaker", "aspect_ratio": "16:9", "output_format": "webp"},
    )

    image = run.outputs["image"]
    assert isinstance(image, Artifact)
    assert (image.kind, image.media_type) == (PortType.IMAGE, "image/webp")
    assert (image.metadata["width"], image.metadata["height"]) == (64, 36)
    assert image.filename is not None and image.filename.endswith(".webp")

    (create,) = replicate.calls("POST")
    assert create.path == "/v1/models/black-forest-labs/flux-1.1-pro/predictions"
    assert create.headers["authorization"] == f"Bearer {REPLICATE_TOKEN}"
    assert "prefer" not in create.headers
    assert create.json == {
        "input": {"prompt": "a red sneaker", "aspect_ratio": "16:9", "output_format": "webp"}
    }
    assert len(replicate.calls("GET", "/v1/predictions/")) == 3


async def test_states_and_progress_are_reported(
    replicate: ReplicateDouble, store: ArtifactStore
) -> None:
    run = await run_node(replicate_flux_spec(), store, {"prompt": "a lighthouse"})

    messages = [message for _, message in run.progress]
    assert messages[0] == "starting on Replicate"
    assert "25%|####  | 7/28 [00:01<00:01]" in messages
    assert "50%|####  | 14/28 [00:01<00:01]" in messages
    fractions = [fraction for fraction, _ in run.progress]
    assert 0.25 in fractions and 0.5 in fractions
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


async def test_a_pinned_version_uses_the_predictions_endpoint(
    replicate: ReplicateDouble, store: ArtifactStore
) -> None:
    replicate.versions[VERSION] = "black-forest-labs/flux-1.1-pro"
    spec = replicate_flux_spec(model_id=f"black-forest-labs/flux-1.1-pro:{VERSION}")

    run = await run_node(spec, store, {"prompt": "a kite"})

    assert isinstance(run.outputs["image"], Artifact)
    (create,) = replicate.calls("POST")
    assert create.path == "/v1/predictions"
    assert create.json["version"] == VERSION


async def test_prefer_wait_returns_without_polling(
    replicate: ReplicateDouble, store: ArtifactStore
) -> None:
    spec = replicate_flux_spec(provider_options={"output_paths": {"image": ""}, "prefer_wait": 10})

    run = await run_node(spec, store, {"prompt": "a kite"})

    assert isinstance(run.outputs["image"], Artifact)
    assert replicate.calls("POST")[0].headers["prefer"] == "wait=10"
    assert not replicate.calls("GET", "/v1/predictions/")


async def test_a_list_output_and_a_token_stream(
    replicate: ReplicateDouble, store: ArtifactStore
) -> None:
    replicate.outputs["stability-ai/sdxl"] = "list"
    images = replicate_flux_spec(
        model_id="stability-ai/sdxl",
        outputs=(PortSpec(name="images", type=PortType.IMAGE, is_list=True),),
        provider_options={},
    )
    run = await run_node(images, store, {"prompt": "two cats"})
    batch = run.outputs["images"]
    assert isinstance(batch, Batch) and len(batch) == 2
    assert all(isinstance(item, Artifact) for item in batch.items)

    replicate.outputs["meta/meta-llama-3-8b-instruct"] = "text"
    llm = replicate_flux_spec(
        model_id="meta/meta-llama-3-8b-instruct",
        outputs=(PortSpec(name="text", type=PortType.TEXT),),
        params=(),
        provider_options={},
    )
    run = await run_node(llm, store, {"prompt": "tell a story"})
    assert run.outputs == {"text": "Once upon a time"}


async def test_a_429_then_a_503_are_retried_by_the_executor(
    replicate: ReplicateDouble, data_dir: Path
) -> None:
    replicate.fail_next(
        "create",
        429,
        {"title": "Too Many Requests", "detail": "Request was throttled.", "status": 429},
        headers={"Retry-After": "0"},
    )
    replicate.fail_next("create", 503, {"title": "Service Unavailable", "status": 503})

    record = await run_workflow(replicate_flux_spec(), {"prompt": "a kite"}, data_dir)

    assert record.status == ExecutionState.COMPLETED
    node = record.node("gen")
    assert node.attempts == 3 and node.credits == 4.0
    assert len(replicate.calls("POST")) == 3
    assert isinstance(decode_value(record.outputs["gen"]), Artifact)


async def test_retry_after_is_passed_on(replicate: ReplicateDouble, store: ArtifactStore) -> None:
    replicate.fail_next(
        "create", 429, {"detail": "Request was throttled."}, headers={"Retry-After": "12"}
    )
    with pytest.raises(TransientNodeError) as caught:
        await run_node(replicate_flux_spec(), store, {"prompt": "x"})
    assert caught.value.retry_after == 12.0


async def test_an_interrupted_prediction_is_transient(
    replicate: ReplicateDouble, store: ArtifactStore
) -> None:
    with pytest.raises(TransientNodeError, match="please retry") as caught:
        await run_node(replicate_flux_spec(), store, {"prompt": "interrupted"})
    assert caught.value.details["code"] == "interrupted"


async def test_a_bad_token_fails_permanently_with_replicates_message(
    replicate: ReplicateDouble, monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_not-the-right-token")

    record = await run_workflow(replicate_flux_spec(), {"prompt": "a kite"}, data_dir)

    node = record.node("gen")
    assert node.status == NodeState.FAILED and node.attempts == 1
    assert node.error is not None and node.error.kind == ErrorKind.PERMANENT
    assert node.error.message == (
        "Replicate rejected the API key (REPLICATE_API_TOKEN) (HTTP 401): "
        "Unauthenticated: You did not pass a valid authentication token"
    )


async def test_a_validation_error_carries_replicates_message(
    replicate: ReplicateDouble, store: ArtifactStore
) -> None:
    spec = replicate_flux_spec(provider_options={"param_fields": {"prompt": None}})

    with pytest.raises(PermanentNodeError) as caught:
        await run_node(spec, store, {"prompt": "dropped"}, {"prompt": None})

    assert caught.value.message == (
        "Replicate rejected the request (HTTP 422): "
        "Input validation failed: - input: prompt is required"
    )
    assert not replicate.predictions


async def test_an_nsfw_refusal_is_permanent(replicate: ReplicateDouble, data_dir: Path) -> None:
    record = await run_workflow(replicate_flux_spec(), {"prompt": "forbidden"}, data_dir)

    node = record.node("gen")
    assert node.status == NodeState.FAILED and node.attempts == 1
    assert node.error is not None
    assert node.error.message == f"Replicate refused the request: {NSFW_ERROR}"
    assert node.error.details["code"] == "moderation"


async def test_a_malformed_status_body_is_a_clear_permanent_error(
    replicate: ReplicateDouble, store: ArtifactStore
) -> None:
    with pytest.raises(PermanentNodeError, match="Replicate sent a malformed response") as caught:
        await run_node(replicate_flux_spec(), store, {"prompt": "malformed"})
    assert caught.value.details["code"] == "malformed_response"


async def test_an_unknown_model_id_shape_is_refused_before_any_request(
    replicate: ReplicateDouble, store: ArtifactStore
) -> None:
    with pytest.raises(PermanentNodeError, match="not a Replicate model"):
        await run_node(replicate_flux_spec(model_id="../../admin"), store, {"prompt": "x"})
    assert not replicate.requests


async def test_cancelling_a_slow_prediction_cancels_it_at_replicate(
    replicate: ReplicateDouble, store: ArtifactStore, data_dir: Path
) -> None:
    spec = replicate_flux_spec()
    catalog = Catalog()
    catalog.register(spec, make_hosted_node(spec, poll=FAST_POLL))
    workflow = Workflow.model_validate(
        {"name": "w", "nodes": [{"id": "gen", "type": spec.type, "data": {"prompt": "slow"}}]}
    )
    handle = Executor(catalog, artifacts=store).start(workflow, RunOptions())
    while len(replicate.calls("GET", "/v1/predictions/")) < 3:
        await asyncio.sleep(0.01)

    handle.cancel()
    record = await handle.wait()

    assert record.node("gen").status == NodeState.CANCELLED
    (cancel,) = replicate.calls("POST", "/cancel")
    assert cancel.headers["authorization"] == f"Bearer {REPLICATE_TOKEN}"
    (prediction,) = replicate.predictions.values()
    assert prediction.cancelled


async def test_the_token_never_leaks_on_any_failure_path(
    replicate: ReplicateDouble,
    data_dir: Path,
    store: ArtifactStore,
    debug_logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    replicate.fail_next("create", 401, {"detail": f"token {REPLICATE_TOKEN} is revoked"})
    replicate.fail_next("create", 502, f"<html>bad gateway {REPLICATE_TOKEN}</html>", times=3)
    replicate.fail_next("get", 500, {"title": "oops", "detail": REPLICATE_TOKEN})  # tolerated
    replicate.fail_next("get", 403, {"title": "Forbidden", "detail": f"no {REPLICATE_TOKEN}"})
    seen: list[object] = []
    for prompt in ("leak 401", "leak 502", "leak poll", "forbidden", "malformed", "ok"):
        seen.append(await run_workflow(replicate_flux_spec(), {"prompt": prompt}, data_dir))
    assert [r.status for r in seen] == [ExecutionState.FAILED] * 5 + [ExecutionState.COMPLETED]  # type: ignore[attr-defined]
    replicate.fail_next("create", 429, {"detail": f"throttled {REPLICATE_TOKEN}"})
    with pytest.raises(TransientNodeError) as caught:
        await run_node(replicate_flux_spec(), store, {"prompt": "x"})
    seen.append(caught.value)
    ctx = context(replicate_flux_spec(), store, {"prompt": "slow"})
    implementation = make_hosted_node(replicate_flux_spec(), poll=FAST_POLL)
    task = asyncio.ensure_future(implementation(ctx, {"prompt": "slow"}))  # type: ignore[arg-type]
    while not replicate.calls("GET", "/v1/predictions/"):
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    monkeypatch.setenv("PATCHBAY_REPLICATE_BASE_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(TransientNodeError) as unreachable:
        await run_node(replicate_flux_spec(), store, {"prompt": "x"})
    seen.append(unreachable.value)

    assert_secret_absent(REPLICATE_TOKEN, *seen, caplog=debug_logs)
