"""ComfyUI adapter: run an API-format graph on a ComfyUI server.

Protocol (https://docs.comfy.org/development/comfyui-server/comms_routes,
https://docs.comfy.org/development/comfyui-server/api-key-integration, and
ComfyUI's ``server.py``):

- ``POST /upload/image`` (multipart ``image``, ``type=input``, ``overwrite``) →
  ``{"name", "subfolder", "type"}``: media inputs, referenced by file name;
- ``POST /prompt`` with ``{"prompt": <API-format graph>, "client_id"}`` →
  ``{"prompt_id", "number", "node_errors"}``, or 400 ``{"error": {type, message,
  details}, "node_errors": {node_id: {errors, class_type}}}`` (permanent);
- ``GET /history/{prompt_id}`` → ``{}`` until the prompt ran, then ``{prompt_id:
  {"outputs": {node_id: {"images": [{filename, subfolder, type}]}}, "status":
  {"status_str", "completed", "messages"}}}`` (an ``execution_error`` message
  carries the failing node and exception);
- ``GET /queue`` → ``{"queue_running", "queue_pending"}`` (items ``[number,
  prompt_id, …]``): the queue position reported while waiting;
- ``GET /view?filename=&subfolder=&type=`` → an output file;
- cancelling: ``POST /queue {"delete": [prompt_id]}`` while it waits,
  ``POST /interrupt {"prompt_id"}`` while it runs (sent only when this prompt is
  the running one, so older servers that ignore the body interrupt the right job).

No key by default; ``COMFYUI_API_KEY``, when set, is sent as a bearer token (for
servers behind an authenticating proxy) to trusted origins only. The server is
``PATCHBAY_COMFYUI_BASE_URL`` (default ``http://127.0.0.1:8188``) or a node
parameter named by ``base_url_param`` (see :mod:`engine.providers.common`).

The graph is ``provider_options["graph"]``, or read from the parameter named by
``workflow_param`` (an API-format JSON file path, a JSON string or an object —
ComfyUI's "Export (API)"). Values go into it by path, ``"<node id>.inputs.<field>"``
(``"<node id>.<field>"`` for short): ``param_fields`` / ``input_fields`` of the
spec, and the mapping in the parameter named by ``bindings_param`` (``{exposed
name: path or [paths]}``, the exposed name being a port or parameter of the node).
Outputs are read from the history entry at ``output_paths`` (``{output_node}``
is replaced by the ``output_node_param`` parameter), or else an image, video or
audio port takes the first such file a Save node wrote.
"""

from __future__ import annotations

import asyncio
import mimetypes
import posixpath
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote, urlencode, urlsplit

import httpx

from engine.catalog.spec import PortSpec, PortType
from engine.errors import NodeError, PermanentNodeError, TransientNodeError
from engine.providers.base import Progress, ProviderCall
from engine.providers.comfyui_graph import (
    assign_binding,
    describe_prompt_error,
    found_files,
    history_finished,
    load_api_graph,
    merge_patch,
    node_list,
    parse_json,
    queue_place,
)
from engine.providers.common import ServerProvider, consumed, usable_params
from engine.providers.http import read_json
from engine.values import Artifact, Batch

__all__ = ["ComfyUIProvider", "load_api_graph"]

#: Largest workflow file read (API graphs are a few kilobytes).
MAX_WORKFLOW_BYTES = 5 * 1024 * 1024
_OPTION_PARAMS = (
    "workflow_param",
    "bindings_param",
    "base_url_param",
    "output_node_param",
    "credential_param",
)
_MAX_MISSES = 5


class ComfyUIProvider(ServerProvider):
    """Runs a graph on a ComfyUI server (see the module docstring)."""

    name = "comfyui"
    label = "ComfyUI"
    credential = "COMFYUI_API_KEY"
    needs_key = False
    credential_for_own_server = True
    default_base_url = "http://127.0.0.1:8188"
    default_output_paths: ClassVar[Mapping[PortType, tuple[str, ...]]] = {
        PortType.IMAGE: ("@image",),
        PortType.MASK: ("@image",),
        PortType.VIDEO: ("@video",),
        PortType.AUDIO: ("@audio",),
        PortType.TEXT: ("@text",),
        PortType.JSON: ("outputs",),
    }

    @property
    def display(self) -> str:
        return f"ComfyUI at {urlsplit(self.base_url).netloc}"

    async def run(self, call: ProviderCall) -> dict[str, Any]:
        await self.prepare(call)
        spec = call.spec
        options = spec.provider_options
        params = usable_params(call.params)
        graph = await self._graph(call, params)
        bindings = self._bindings(call, params)
        internal = [options[k] for k in _OPTION_PARAMS if isinstance(options.get(k), str)]
        if isinstance(options.get("bindings_param"), str):
            _check_bound(call, params, {*internal, *bindings}, str(options["bindings_param"]))
        mapped = consumed(spec, [*internal, *bindings])
        overlay = await self.arguments(ProviderCall(mapped, params, call.inputs, call.ctx))
        for node_id, patch in overlay.items():
            if node_id not in graph or not isinstance(patch, Mapping):
                raise PermanentNodeError(
                    f"node type {spec.type} sets a value on node {node_id!r}, which its "
                    f"workflow does not have (nodes: {node_list(graph)})",
                    details={"code": "invalid_workflow", "provider": self.name},
                )
            merge_patch(graph[node_id], patch)
        for exposed, paths in bindings.items():
            value = call.inputs.get(exposed)
            value = params.get(exposed) if value is None or value == "" else value
            if value is None:
                continue
            port = spec.input(exposed)
            if port is not None and port.type.is_media:
                value = await self.encode_input(call, port, value)
            for path in paths:
                assign_binding(graph, path, value, exposed)
        progress = self.progress(call)
        body = {"prompt": graph, "client_id": uuid.uuid4().hex}
        submitted = await self.request_json("POST", "/prompt", json=body)
        prompt_id = self.field(submitted, "prompt_id", str, "/prompt response")
        progress(0.0, f"queued at {self.display}")

        async def cancel() -> None:
            await self._cancel(prompt_id)

        entry = await self.cancel_on_abort(self._follow(prompt_id, progress), cancel, job=prompt_id)
        self._check_status(entry, prompt_id)
        outputs = await self._outputs(call, graph, entry, params)
        progress(1.0)
        return outputs

    # -- the graph ----------------------------------------------------------------------

    async def _graph(self, call: ProviderCall, params: Mapping[str, Any]) -> dict[str, Any]:
        options = call.spec.provider_options
        name = options.get("workflow_param")
        source = params.get(name) if isinstance(name, str) else None
        if source is None:
            template = options.get("graph")
            if template is None:
                what = f"set its {name!r} parameter" if isinstance(name, str) else "no graph"
                raise PermanentNodeError(
                    f"node type {call.spec.type} has no ComfyUI workflow: {what}",
                    details={"code": "invalid_workflow", "provider": self.name},
                )
            return load_api_graph(template, source=f"the workflow of {call.spec.type}")
        if isinstance(source, Mapping):
            return load_api_graph(source, source=f"parameter {name!r}")
        text = str(source).strip()
        if text.startswith("{"):
            return load_api_graph(parse_json(text, f"parameter {name!r}"), source=str(name))
        path = call.ctx.existing_file(text)
        size = path.stat().st_size
        if size > MAX_WORKFLOW_BYTES:
            raise PermanentNodeError(
                f"{path.name} is {size} bytes; a ComfyUI API workflow is at most "
                f"{MAX_WORKFLOW_BYTES} bytes",
                details={"code": "invalid_workflow"},
            )
        raw = await asyncio.to_thread(path.read_text, encoding="utf-8")
        return load_api_graph(parse_json(raw, path.name), source=path.name)

    def _bindings(self, call: ProviderCall, params: Mapping[str, Any]) -> dict[str, list[str]]:
        options = call.spec.provider_options
        raw: dict[str, Any] = dict(options.get("bindings") or {})
        name = options.get("bindings_param")
        value = params.get(name) if isinstance(name, str) else None
        if isinstance(value, str):
            value = parse_json(value, f"parameter {name!r}")
        if value is not None:
            if not isinstance(value, Mapping):
                raise PermanentNodeError(
                    f"parameter {name!r} must map exposed names to node inputs, like "
                    '{"text": "6.inputs.text", "seed": "3.inputs.seed"}',
                    details={"code": "invalid_param", "param": str(name)},
                )
            raw.update(value)
        bindings: dict[str, list[str]] = {}
        for exposed, target in raw.items():
            paths = [target] if isinstance(target, str) else target
            if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
                raise PermanentNodeError(
                    f"binding {exposed!r} must be a path like '6.inputs.text' or a list of them",
                    details={"code": "invalid_param", "param": str(name)},
                )
            bindings[str(exposed)] = paths
        return bindings

    async def encode_input(self, call: ProviderCall, port: PortSpec, value: Any) -> Any:
        """Upload a media input to the server's input folder; its name goes in the graph."""
        if isinstance(value, Batch):
            value = list(value.items)
        if isinstance(value, list | tuple):
            return [await self.encode_input(call, port, item) for item in value]
        if isinstance(value, str):
            return value  # a file already on the server
        if not isinstance(value, Artifact):
            raise PermanentNodeError(
                f"input {port.name!r} expects {port.type.value}, got {type(value).__name__}",
                details={"code": "invalid_input", "port": port.name},
            )
        data = await asyncio.to_thread(call.ctx.artifacts.read_bytes, value)
        extension = mimetypes.guess_extension(value.media_type) or ".png"
        filename = f"patchbay_{value.id[:16]}{extension}"
        uploaded = await self.request_json(
            "POST",
            "/upload/image",
            data={"type": "input", "overwrite": "true"},
            files={"image": (filename, data, value.media_type)},
        )
        name = self.field(uploaded, "name", str, "upload response")
        subfolder = uploaded.get("subfolder") if isinstance(uploaded, Mapping) else ""
        return f"{subfolder}/{name}" if isinstance(subfolder, str) and subfolder else name

    # -- following the prompt -----------------------------------------------------------

    async def _follow(self, prompt_id: str, progress: Progress) -> dict[str, Any]:
        misses = 0
        quoted = quote(prompt_id, safe="")

        async def fetch() -> dict[str, Any] | None:
            nonlocal misses
            history = await self.request_json("GET", f"/history/{quoted}")
            entry = history.get(prompt_id) if isinstance(history, Mapping) else None
            if isinstance(entry, Mapping) and history_finished(entry):
                return dict(entry)
            place = queue_place(await self.request_json("GET", "/queue"), prompt_id)
            if place is None and entry is None:
                misses += 1
                if misses > _MAX_MISSES:
                    raise TransientNodeError(
                        f"the prompt vanished from the queue of {self.display} (the server "
                        "restarted or the queue was cleared)",
                        details={"provider": self.name, "code": "lost", "promptId": prompt_id},
                    )
                return None
            misses = 0
            if place == 0:
                progress(0.05, f"running on {self.display}")
            elif place is not None:
                progress(0.0, f"queued at {self.display} (position {place})")
            return None

        entry = await self.poll(fetch, lambda state: state is not None)
        assert entry is not None
        return entry

    async def _cancel(self, prompt_id: str) -> None:
        place: int | None = None
        try:
            place = queue_place(await self.request_json("GET", "/queue"), prompt_id)
        except NodeError:
            place = None
        if place != 0:
            await self.request("POST", "/queue", json={"delete": [prompt_id]})
        if place == 0:
            await self.request("POST", "/interrupt", json={"prompt_id": prompt_id})

    def _check_status(self, entry: Mapping[str, Any], prompt_id: str) -> None:
        status = entry.get("status")
        if not isinstance(status, Mapping):
            return
        messages = status.get("messages")
        details: dict[str, object] = {"provider": self.name, "promptId": prompt_id}
        for item in messages if isinstance(messages, list) else []:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], Mapping)):
                continue
            kind, data = item
            if kind == "execution_error":
                node = f"node {data.get('node_id')} ({data.get('node_type')})"
                said = self.redact(
                    f"{data.get('exception_type', 'error')}: {data.get('exception_message', '')}"
                )
                said = " ".join(said.split())[:400]
                message = f"{self.display}: {node} failed: {said}"
                extra = {**details, "node": str(data.get("node_id"))}
                if "OutOfMemory" in str(data.get("exception_type")):
                    raise TransientNodeError(message, details={**extra, "code": "out_of_memory"})
                raise PermanentNodeError(message, details={**extra, "code": "failed"})
            if kind == "execution_interrupted":
                raise PermanentNodeError(
                    f"{self.display}: the run was interrupted on the server",
                    details={**details, "code": "cancelled"},
                )
        if status.get("status_str") == "error":
            raise PermanentNodeError(
                f"{self.display} reported an error running the workflow",
                details={**details, "code": "failed"},
            )

    # -- outputs ------------------------------------------------------------------------

    async def _outputs(
        self,
        call: ProviderCall,
        graph: Mapping[str, Any],
        entry: Mapping[str, Any],
        params: Mapping[str, Any],
    ) -> dict[str, Any]:
        options = call.spec.provider_options
        node_param = options.get("output_node_param")
        chosen = params.get(node_param) if isinstance(node_param, str) else None
        output_node = str(chosen) if chosen is not None else None
        paths = dict(options.get("output_paths") or {})
        for port_name, path in list(paths.items()):
            if isinstance(path, str) and "{output_node}" in path:
                if output_node:
                    paths[port_name] = path.replace("{output_node}", output_node)
                else:
                    del paths[port_name]
        document = {**entry, **found_files(graph, entry.get("outputs"), output_node)}
        spec = call.spec.model_copy(update={"provider_options": {**options, "output_paths": paths}})
        return await self.outputs(ProviderCall(spec, call.params, call.inputs, call.ctx), document)

    async def store_output(self, call: ProviderCall, port: PortSpec, value: Any) -> Artifact:
        if isinstance(value, Mapping) and isinstance(value.get("filename"), str):
            query = {
                "filename": value["filename"],
                "subfolder": str(value.get("subfolder") or ""),
                "type": str(value.get("type") or "output"),
            }
            url = f"{self.url('/view')}?{urlencode(query)}"
            return await super().store_output(
                call, port, {"url": url, "file_name": posixpath.basename(value["filename"])}
            )
        return await super().store_output(call, port, value)

    def error_for_response(
        self, response: httpx.Response, details: Mapping[str, object] | None = None
    ) -> NodeError:
        body = read_json(response)
        if response.status_code == 400 and isinstance(body, Mapping) and "node_errors" in body:
            said = self.redact(describe_prompt_error(body))[:500]
            return PermanentNodeError(
                f"{self.display} rejected the workflow: {said}",
                details={
                    **(details or {}),
                    "provider": self.name,
                    "status": 400,
                    "code": "invalid_workflow",
                },
            )
        error = super().error_for_response(response, details)
        if response.status_code in (401, 403) and (hint := self.withheld_key_hint()):
            return PermanentNodeError(error.message + hint, details=error.details)
        return error


def _check_bound(
    call: ProviderCall, params: Mapping[str, Any], handled: set[str], bindings_param: str
) -> None:
    """A port or parameter with a value must be bound (a workflow has no field for it)."""
    options = call.spec.provider_options
    explicit = {*(options.get("input_fields") or {}), *(options.get("param_fields") or {})}
    names = {p.name for p in call.spec.inputs} | {p.name for p in call.spec.params}
    for name in sorted(names - handled - explicit):
        value = call.inputs.get(name)
        if value is None or value == "":
            value = params.get(name)
        if value is not None:
            raise PermanentNodeError(
                f"{name!r} has a value but {bindings_param!r} does not say which node input "
                f'it fills: add e.g. "{name}": "<node id>.inputs.<field>"',
                details={"code": "invalid_param", "param": bindings_param, "binding": name},
            )
