"""The ComfyUI adapter and the ``comfyui.workflow`` node over real HTTP against the double."""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.artifacts import ArtifactStore
from engine.catalog import Catalog, Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.errors import PermanentNodeError, TransientNodeError
from engine.executor import ErrorKind, ExecutionState, NodeState
from engine.nodes.comfyui_workflow import COMFYUI_WORKFLOW, register
from engine.values import Artifact, decode_value
from tests.engine.providers.adapter_helpers import cancelled, eventually, start_node
from tests.engine.providers.conftest import (
    assert_secret_absent,
    context,
    run_node,
    run_workflow,
)
from tests.engine.providers.doubles.comfyui import ComfyUIDouble
from tests.engine.providers.doubles.media import png

EXAMPLE = importlib.resources.files("resources").joinpath("examples/comfyui/txt2img_api.json")
TOKEN = "comfy-proxy-token-5d41402abc4b2a76b9719d911017c592"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COMFYUI_API_KEY", "PATCHBAY_COMFYUI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def comfy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ComfyUIDouble]:
    with ComfyUIDouble() as double:
        monkeypatch.setenv("PATCHBAY_COMFYUI_BASE_URL", double.url)
        yield double


@pytest.fixture
def example_file() -> Path:
    path = Path(str(EXAMPLE))
    assert path.is_file()
    return path


def txt2img_spec(**changes: Any) -> NodeSpec:
    """Shaped like the txt2img family of engine/catalog/hosted/comfyui.json."""
    spec = NodeSpec(
        type="test.comfyui-sd15",
        category=Category.IMAGE,
        display_name="ComfyUI SD 1.5",
        inputs=(PortSpec(name="prompt", type=PortType.TEXT),),
        outputs=(PortSpec(name="image", type=PortType.IMAGE),),
        params=(
            ParamSpec(name="prompt", kind=ParamKind.TEXT),
            ParamSpec(name="seed", kind=ParamKind.SEED),
            ParamSpec(name="width", kind=ParamKind.INTEGER, default=512),
            ParamSpec(name="height", kind=ParamKind.INTEGER, default=512),
            ParamSpec(name="server_url", kind=ParamKind.STRING, default="http://127.0.0.1:8188"),
        ),
        provider="comfyui",
        model_id="v1-5-pruned-emaonly.safetensors",
        provider_options={
            "self_hosted": True,
            "key_required": False,
            "base_url_param": "server_url",
            "graph": json.loads(EXAMPLE.read_text(encoding="utf-8")),
            "input_fields": {"prompt": "6.inputs.text"},
            "param_fields": {
                "prompt": "6.inputs.text",
                "seed": "3.inputs.seed",
                "width": "5.inputs.width",
                "height": "5.inputs.height",
            },
            "output_paths": {"image": "outputs.9.images[0]"},
        },
    )
    return spec.model_copy(update=changes)


def _submitted_graph(comfy: ComfyUIDouble) -> dict[str, Any]:
    (submit,) = comfy.calls("POST", "/prompt")
    graph: dict[str, Any] = submit.json["prompt"]
    return graph


async def test_a_graph_template_runs_with_the_nodes_values(
    comfy: ComfyUIDouble, store: ArtifactStore
) -> None:
    params = {"prompt": "a lighthouse at dusk", "seed": 7, "width": 768}
    run = await run_node(txt2img_spec(), store, params)

    image = run.outputs["image"]
    assert isinstance(image, Artifact) and image.kind == PortType.IMAGE
    assert (image.metadata["width"], image.metadata["height"]) == (96, 64)  # latent / 8
    graph = _submitted_graph(comfy)
    assert graph["6"]["inputs"]["text"] == "a lighthouse at dusk"
    assert graph["3"]["inputs"]["seed"] == 7
    assert graph["5"]["inputs"] == {"width": 768, "height": 512, "batch_size": 1}
    assert graph["6"]["inputs"]["clip"] == ["4", 1]  # links are kept
    (view,) = comfy.calls("GET", "/view")
    assert view.query == {"filename": ["ComfyUI_00001_.png"], "type": ["output"]}  # subfolder ""
    messages = [message for _, message in run.progress]
    host = comfy.origin.removeprefix("http://")
    assert f"queued at ComfyUI at {host} (position 2)" in messages
    assert f"running on ComfyUI at {host}" in messages
    assert run.progress[-1][0] == 1.0


async def test_the_workflow_node_substitutes_its_ports_into_a_users_file(
    comfy: ComfyUIDouble, store: ArtifactStore, example_file: Path
) -> None:
    params = {"workflow_file": str(example_file)}
    run = await run_node(COMFYUI_WORKFLOW, store, params, {"text": "a red sneaker", "seed": 42.0})

    assert isinstance(run.outputs["image"], Artifact)
    graph = _submitted_graph(comfy)
    assert graph["6"]["inputs"]["text"] == "a red sneaker"
    assert graph["3"]["inputs"]["seed"] == 42 and isinstance(graph["3"]["inputs"]["seed"], int)
    assert graph["7"]["inputs"]["text"] == "text, watermark"  # untouched


async def test_an_image_input_is_uploaded_and_bound(
    comfy: ComfyUIDouble, store: ArtifactStore, tmp_path: Path
) -> None:
    workflow = {
        "10": {"class_type": "LoadImage", "inputs": {"image": "example.png"}},
        "11": {"class_type": "ImageInvert", "inputs": {"image": ["10", 0]}},
        "12": {"class_type": "SaveImage", "inputs": {"images": ["11", 0], "filename_prefix": "x"}},
    }
    path = tmp_path / "invert_api.json"
    path.write_text(json.dumps(workflow), encoding="utf-8")
    picture = store.put_bytes(png(40, 24), kind=PortType.IMAGE, media_type="image/png")
    params = {"workflow_file": str(path), "inputs_map": {"image": "10.inputs.image"}}

    run = await run_node(COMFYUI_WORKFLOW, store, params, {"image": picture})

    image = run.outputs["image"]
    assert isinstance(image, Artifact) and (image.metadata["width"], image.metadata["height"]) == (
        40,
        24,
    )
    (name,) = comfy.uploads
    assert comfy.uploads[name] == store.read_bytes(picture)
    assert _submitted_graph(comfy)["10"]["inputs"]["image"] == name


async def test_a_workflow_node_runs_in_preview_without_a_server(
    store: ArtifactStore, example_file: Path
) -> None:
    catalog = Catalog()
    register(catalog)
    implementation = catalog.entry("comfyui.workflow").implementation
    ctx = context(COMFYUI_WORKFLOW, store, {"workflow_file": str(example_file)})
    ctx.preview = True

    outputs = await implementation(ctx, {"text": "a kite"})  # type: ignore[misc]

    image = outputs["image"]
    assert isinstance(image, Artifact) and image.preview and image.kind == PortType.IMAGE


async def test_an_invalid_graph_fails_permanently_with_comfyuis_node_errors(
    comfy: ComfyUIDouble, data_dir: Path
) -> None:
    graph = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    graph["4"]["inputs"]["ckpt_name"] = "missing.safetensors"
    spec = txt2img_spec(provider_options={**txt2img_spec().provider_options, "graph": graph})

    record = await run_workflow(spec, {"prompt": "a kite"}, data_dir)

    node = record.node("gen")
    assert node.status == NodeState.FAILED and node.attempts == 1
    assert node.error is not None and node.error.kind == ErrorKind.PERMANENT
    host = comfy.origin.removeprefix("http://")
    assert node.error.message == (
        f"ComfyUI at {host} rejected the workflow: Prompt outputs failed validation — node 4 "
        "(CheckpointLoaderSimple): Value not in list: ckpt_name: 'missing.safetensors' not in "
        "['v1-5-pruned-emaonly.safetensors', 'sd_xl_base_1.0.safetensors']"
    )


async def test_an_execution_error_names_the_failing_node(
    comfy: ComfyUIDouble, data_dir: Path
) -> None:
    record = await run_workflow(txt2img_spec(), {"prompt": "explode please"}, data_dir)

    node = record.node("gen")
    assert node.status == NodeState.FAILED and node.attempts == 1
    assert node.error is not None and node.error.message.endswith(
        "node 3 (KSampler) failed: RuntimeError: mat1 and mat2 shapes cannot be multiplied "
        "(154x2048 and 768x320)"
    )


async def test_running_out_of_gpu_memory_is_transient(
    comfy: ComfyUIDouble, store: ArtifactStore
) -> None:
    with pytest.raises(TransientNodeError, match=r"torch\.OutOfMemoryError: Allocation on device"):
        await run_node(txt2img_spec(), store, {"prompt": "oom"})


async def test_an_unavailable_server_is_retried_by_the_executor(
    comfy: ComfyUIDouble, data_dir: Path
) -> None:
    comfy.fail_next("prompt", 502, "Bad Gateway", content_type="text/plain")
    comfy.fail_next("prompt", 503, "Service Unavailable", content_type="text/plain")

    record = await run_workflow(txt2img_spec(), {"prompt": "a kite"}, data_dir)

    assert record.status == ExecutionState.COMPLETED
    node = record.node("gen")
    assert node.status == NodeState.COMPLETED and node.attempts == 3
    assert node.credits == 0
    assert isinstance(decode_value(record.outputs["gen"]), Artifact)


async def test_cancelling_a_running_prompt_interrupts_only_it(
    comfy: ComfyUIDouble, store: ArtifactStore
) -> None:
    task = start_node(txt2img_spec(), store, {"prompt": "a slow render"})
    await eventually(lambda: len(comfy.calls("GET", "/history/")) >= 3)

    await cancelled(task)

    (job,) = comfy.jobs.values()
    assert comfy.interrupts == [job.prompt_id] and job.interrupted
    assert not comfy.deletes


async def test_cancelling_a_waiting_prompt_deletes_it_from_the_queue(
    comfy: ComfyUIDouble, store: ArtifactStore
) -> None:
    task = start_node(txt2img_spec(), store, {"prompt": "stuck in line"})
    await eventually(lambda: len(comfy.calls("GET", "/history/")) >= 2)

    await cancelled(task)

    (job,) = comfy.jobs.values()
    assert comfy.deletes == [job.prompt_id] and job.deleted
    assert not comfy.interrupts


async def test_a_ui_format_file_is_refused_with_how_to_export(
    comfy: ComfyUIDouble, store: ArtifactStore, tmp_path: Path
) -> None:
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps({"nodes": [], "links": [], "version": 0.4}), encoding="utf-8")

    with pytest.raises(
        PermanentNodeError, match=r"UI workflow, not the API format.*Export \(API\)"
    ):
        await run_node(COMFYUI_WORKFLOW, store, {"workflow_file": str(path)})
    assert not comfy.requests


async def test_unbound_or_misbound_inputs_are_explained(
    comfy: ComfyUIDouble, store: ArtifactStore, example_file: Path
) -> None:
    picture = store.put_bytes(png(8, 8), kind=PortType.IMAGE, media_type="image/png")
    with pytest.raises(PermanentNodeError, match="'image' has a value but 'inputs_map' does not"):
        await run_node(
            COMFYUI_WORKFLOW, store, {"workflow_file": str(example_file)}, {"image": picture}
        )

    params = {"workflow_file": str(example_file), "inputs_map": {"text": "60.inputs.text"}}
    with pytest.raises(PermanentNodeError) as caught:
        await run_node(COMFYUI_WORKFLOW, store, params, {"text": "x"})
    assert caught.value.message == (
        "binding 'text': node '60' is not in the workflow (nodes: 3, 4, 5, 6, 7, 8, 9)"
    )
    assert not comfy.requests


async def test_a_token_goes_only_to_the_configured_server(
    store: ArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMFYUI_API_KEY", TOKEN)
    with ComfyUIDouble(token=TOKEN) as trusted, ComfyUIDouble(token=TOKEN) as typed_in:
        monkeypatch.setenv("PATCHBAY_COMFYUI_BASE_URL", trusted.url)
        run = await run_node(txt2img_spec(), store, {"prompt": "a kite"})
        assert isinstance(run.outputs["image"], Artifact)
        assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in trusted.requests)

        with pytest.raises(PermanentNodeError) as caught:
            await run_node(txt2img_spec(), store, {"prompt": "x", "server_url": typed_in.url})
        assert all("authorization" not in r.headers for r in typed_in.requests)
    assert "the key is not sent to a server address typed into the workflow" in caught.value.message


async def test_the_token_never_leaks_on_any_failure_path(
    data_dir: Path,
    store: ArtifactStore,
    debug_logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COMFYUI_API_KEY", TOKEN)
    with ComfyUIDouble(token=TOKEN) as comfy:
        monkeypatch.setenv("PATCHBAY_COMFYUI_BASE_URL", comfy.url)
        comfy.fail_next("prompt", 500, {"detail": f"proxy error for {TOKEN}"}, times=3)
        comfy.fail_next("history", 403, f"forbidden {TOKEN}", content_type="text/plain")
        seen: list[object] = []
        for prompt in ("leak 500", "leak history", "explode", "oom"):
            record = await run_workflow(txt2img_spec(), {"prompt": prompt}, data_dir)
            assert record.status == ExecutionState.FAILED
            seen.append(record)
        task = start_node(txt2img_spec(), store, {"prompt": "slow"})
        await eventually(lambda: comfy.calls("GET", "/history/"))
        await cancelled(task)
        monkeypatch.setenv("PATCHBAY_COMFYUI_BASE_URL", "http://127.0.0.1:9")
        with pytest.raises(TransientNodeError) as unreachable:
            await run_node(txt2img_spec(), store, {"prompt": "x"})
        seen.append(unreachable.value)

    assert_secret_absent(TOKEN, *seen, caplog=debug_logs)
