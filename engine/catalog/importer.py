"""Build a hosted node's :class:`NodeSpec` from a model's published OpenAPI schema.

A new model is a data change: fetch its schema once, keep it with the catalog
data, and :func:`spec_from_openapi` turns it into a node type.

- **fal** publishes one queue OpenAPI document per endpoint
  (``https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=<model id>``): the
  input schema is the ``POST /<model id>`` request body, the output schema the
  ``GET /<model id>/requests/{request_id}`` response (``components.schemas``
  ``…Input`` / ``…Output`` otherwise), ``info.x-fal-metadata`` names the category
  and documentation page, ``x-fal-order-properties`` the field order.
- **Replicate** publishes a Cog OpenAPI document per model version
  (``GET /v1/models/{owner}/{name}`` → ``latest_version.openapi_schema``, or a
  version's ``openapi_schema``): ``components.schemas.Input`` / ``Output``, enums as
  separate schemas referenced through ``allOf``, field order in ``x-order``. The
  model JSON itself, a version JSON or the bare schema are all accepted.

Mapping: ``prompt``/``text`` strings become a text input port plus a same-named
text parameter (typed in or wired); file inputs (fal ``*_url``/``*_urls`` fields,
Replicate ``format: uri`` fields whose name says image, mask, video, audio …)
become media input ports (``input_fields`` maps them back to the request field);
everything else becomes a parameter with the provider's default, range and enum.
Media outputs become output ports with ``output_paths`` into the result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.catalog.spec import (
    FREE,
    Category,
    NodeSpec,
    ParamKind,
    ParamSpec,
    PortSpec,
    PortType,
    Pricing,
)

__all__ = ["SchemaImportError", "spec_from_openapi"]

_TEXT_PORTS = ("prompt", "text")
_SKIPPED = {"fal": {"sync_mode"}, "replicate": set()}
_KIND_WORDS: tuple[tuple[PortType, tuple[str, ...]], ...] = (
    (PortType.MASK, ("mask",)),
    (PortType.VIDEO, ("video", "clip", "movie")),
    (PortType.AUDIO, ("audio", "speech", "voice", "sound", "music", "song", "wav", "mp3")),
    (PortType.MESH, ("mesh", "glb", "gltf", "obj", "3d")),
    (PortType.IMAGE, ("image", "img", "photo", "picture", "frame", "face", "style", "pose")),
)
_FAL_CATEGORIES = {
    "text-to-image": Category.IMAGE,
    "image-to-image": Category.EDITING,
    "text-to-video": Category.VIDEO,
    "image-to-video": Category.VIDEO,
    "video-to-video": Category.VIDEO,
    "text-to-speech": Category.AUDIO,
    "text-to-audio": Category.AUDIO,
    "audio-to-audio": Category.AUDIO,
    "speech-to-speech": Category.AUDIO,
    "speech-to-text": Category.TEXT,
    "llm": Category.TEXT,
    "vision": Category.TEXT,
    "image-to-3d": Category.THREE_D,
    "text-to-3d": Category.THREE_D,
}
_BY_OUTPUT = {
    PortType.IMAGE: Category.IMAGE,
    PortType.MASK: Category.EDITING,
    PortType.VIDEO: Category.VIDEO,
    PortType.AUDIO: Category.AUDIO,
    PortType.MESH: Category.THREE_D,
    PortType.TEXT: Category.TEXT,
}
_TEXT_OUTPUTS = ("output", "text", "response", "answer", "caption", "transcript", "description")


class SchemaImportError(ValueError):
    """The document is not an OpenAPI schema this importer understands."""


def _kind_from_words(text: str) -> PortType | None:
    lowered = text.lower()
    for kind, words in _KIND_WORDS:
        if any(re.search(rf"(^|[^a-z]){w}", lowered) for w in words):
            return kind
    return None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class _Schemas:
    """``$ref`` resolution and flattening of ``allOf`` / ``anyOf`` wrappers."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document

    def resolve(self, schema: Any) -> dict[str, Any]:
        seen = 0
        while isinstance(schema, Mapping) and "$ref" in schema and seen < 20:
            ref = str(schema["$ref"])
            if not ref.startswith("#/"):
                raise SchemaImportError(f"external $ref {ref!r} is not supported")
            target: Any = self.document
            for part in ref[2:].split("/"):
                target = target.get(part) if isinstance(target, Mapping) else None
            if target is None:
                raise SchemaImportError(f"$ref {ref!r} does not resolve")
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
            seen += 1
        return dict(schema) if isinstance(schema, Mapping) else {}

    def flatten(self, schema: Any) -> dict[str, Any]:
        """One schema with ``$ref``/``allOf`` merged and nullable ``anyOf`` unwrapped."""
        flat = self.resolve(schema)
        for part in flat.pop("allOf", []) or []:
            inner = self.flatten(part)
            flat = {**inner, **flat}
        variants = flat.pop("anyOf", None) or flat.pop("oneOf", None)
        if variants:
            options = [self.flatten(v) for v in variants if v != {"type": "null"}]
            options = [o for o in options if o.get("type") != "null"]
            chosen = next((o for o in options if "enum" in o), None)
            chosen = chosen or next((o for o in options if o.get("type") != "object"), None)
            chosen = chosen or (options[0] if options else {})
            flat = {**chosen, **flat}
        return flat

    def ref_name(self, schema: Any) -> str:
        """The component name a property points at (``Image``, ``File`` …), if any."""
        if not isinstance(schema, Mapping):
            return ""
        if "$ref" in schema:
            return str(schema["$ref"]).rsplit("/", 1)[-1]
        for key in ("allOf", "anyOf", "oneOf"):
            for part in schema.get(key) or []:
                name = self.ref_name(part)
                if name:
                    return name
        if schema.get("type") == "array":
            return self.ref_name(schema.get("items"))
        return ""


def _ordered(schema: Mapping[str, Any], flat: Mapping[str, dict[str, Any]]) -> list[str]:
    names = list(flat)
    order = schema.get("x-fal-order-properties")
    if isinstance(order, list):
        listed = [n for n in order if n in flat]
        return listed + [n for n in names if n not in listed]
    return sorted(names, key=lambda n: (flat[n].get("x-order", 10_000), names.index(n)))


def _bounds(prop: Mapping[str, Any], integer: bool) -> tuple[float | None, float | None]:
    low, high = prop.get("minimum"), prop.get("maximum")
    exclusive_low, exclusive_high = prop.get("exclusiveMinimum"), prop.get("exclusiveMaximum")
    if isinstance(exclusive_low, int | float) and not isinstance(exclusive_low, bool):
        low = exclusive_low + 1 if integer else exclusive_low
    elif exclusive_low is True and isinstance(low, int | float) and integer:
        low = low + 1
    if isinstance(exclusive_high, int | float) and not isinstance(exclusive_high, bool):
        high = exclusive_high - 1 if integer else exclusive_high
    elif exclusive_high is True and isinstance(high, int | float) and integer:
        high = high - 1
    return (
        float(low) if isinstance(low, int | float) else None,
        float(high) if isinstance(high, int | float) else None,
    )


def _param(name: str, prop: Mapping[str, Any], required: bool) -> ParamSpec:
    kind_of = prop.get("type")
    enum = prop.get("enum")
    low = high = None
    if isinstance(enum, list) and enum:
        kind, choices = ParamKind.ENUM, tuple(enum)
    else:
        choices = None
        if kind_of == "integer":
            kind = ParamKind.SEED if name == "seed" else ParamKind.INTEGER
            low, high = _bounds(prop, True)
        elif kind_of == "number":
            kind = ParamKind.NUMBER
            low, high = _bounds(prop, False)
        elif kind_of == "boolean":
            kind = ParamKind.BOOLEAN
        elif kind_of == "string":
            kind = ParamKind.TEXT if "prompt" in name or name == "text" else ParamKind.STRING
        else:
            kind = ParamKind.JSON
    draft = ParamSpec(
        name=name,
        kind=kind,
        label=prop.get("title") if isinstance(prop.get("title"), str) else None,
        description=str(prop.get("description") or "")[:500],
        minimum=low,
        maximum=high,
        choices=choices,
        required=required and "default" not in prop and name not in _TEXT_PORTS,
    )
    default = prop.get("default")
    if default is not None and draft.check(default) is None:
        return draft.model_copy(update={"default": default})
    return draft


def _media_input(provider: str, name: str, prop: Mapping[str, Any]) -> tuple[str, PortType] | None:
    """``(port name, kind)`` when ``name`` is a file input of ``provider``'s schema."""
    items = prop.get("items") if isinstance(prop.get("items"), Mapping) else {}
    is_uri = prop.get("format") == "uri" or (items or {}).get("format") == "uri"
    if provider == "fal" and name.endswith(("_url", "_urls")):
        stem = name.removesuffix("_urls").removesuffix("_url")
        kind = _kind_from_words(stem)
        if kind is not None:
            return (f"{stem}s" if name.endswith("_urls") else stem), kind
    if is_uri:
        kind = _kind_from_words(name)
        if kind is not None:
            return name, kind
    return None


def _inputs(
    provider: str, schema: Mapping[str, Any], schemas: _Schemas
) -> tuple[list[PortSpec], list[ParamSpec], dict[str, str]]:
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    flat = {n: schemas.flatten(p) for n, p in properties.items()}
    ports: list[PortSpec] = []
    params: list[ParamSpec] = []
    fields: dict[str, str] = {}
    for name in _ordered(schema, flat):
        prop = flat[name]
        if name in _SKIPPED.get(provider, set()) or prop.get("readOnly"):
            continue
        label = prop.get("title") if isinstance(prop.get("title"), str) else None
        description = str(prop.get("description") or "")[:500]
        media = _media_input(provider, name, prop)
        if media is not None:
            port_name, kind = media
            ports.append(
                PortSpec(
                    name=port_name,
                    type=kind,
                    label=label,
                    description=description,
                    required=name in required,
                    is_list=prop.get("type") == "array",
                )
            )
            if port_name != name:
                fields[port_name] = name
            continue
        if name in _TEXT_PORTS and prop.get("type") == "string":
            ports.append(
                PortSpec(
                    name=name,
                    type=PortType.TEXT,
                    label=label,
                    description=description,
                    required=name in required,
                )
            )
        params.append(_param(name, prop, name in required))
    return ports, params, fields


def _output_kind(
    name: str, ref: str, prop: Mapping[str, Any], schemas: _Schemas
) -> PortType | None:
    target = schemas.flatten(prop.get("items") if prop.get("type") == "array" else prop)
    is_file = "url" in (target.get("properties") or {}) or target.get("format") == "uri"
    if not is_file:
        return None
    return _kind_from_words(ref) or _kind_from_words(name) or None


def _outputs_from_object(
    schema: Mapping[str, Any], schemas: _Schemas, prefix: str
) -> tuple[list[PortSpec], dict[str, str]]:
    properties = schema.get("properties") or {}
    flat = {n: schemas.flatten(p) for n, p in properties.items()}
    ports: list[PortSpec] = []
    paths: dict[str, str] = {}
    for name in _ordered(schema, flat):
        prop = flat[name]
        kind = _output_kind(name, schemas.ref_name(properties[name]), prop, schemas)
        path = f"{prefix}{name}"
        if kind is not None:
            port = name[:-1] if prop.get("type") == "array" and name.endswith("s") else name
            if prop.get("type") == "array":
                path += "[0]"
        elif name in _TEXT_OUTPUTS and prop.get("type") == "string":
            kind, port = PortType.TEXT, name
        else:
            continue
        if port not in paths:
            ports.append(PortSpec(name=port, type=kind, label=prop.get("title")))
            paths[port] = path
    return ports, paths


def _replicate_outputs(
    schema: Mapping[str, Any], schemas: _Schemas, hint: PortType | None, words: str
) -> tuple[list[PortSpec], dict[str, str]]:
    flat = schemas.flatten(schema)
    if flat.get("type") == "object" and flat.get("properties"):
        return _outputs_from_object(flat, schemas, "")
    items = schemas.flatten(flat.get("items")) if flat.get("type") == "array" else {}
    target = items if flat.get("type") == "array" else flat
    if target.get("format") == "uri":
        kind = hint or _kind_from_words(words) or PortType.IMAGE
        path = "[0]" if flat.get("type") == "array" else ""
        return [PortSpec(name=kind.value, type=kind)], {kind.value: path}
    if target.get("type") == "string":
        return [PortSpec(name="text", type=PortType.TEXT)], {"text": ""}
    return [PortSpec(name="result", type=PortType.JSON)], {"result": ""}


def _fal_schemas(document: Mapping[str, Any], model_id: str, schemas: _Schemas) -> tuple[Any, Any]:
    paths = document.get("paths") or {}
    post = ((paths.get(f"/{model_id}") or {}).get("post") or {}).get("requestBody") or {}
    input_schema = ((post.get("content") or {}).get("application/json") or {}).get("schema")
    result = (paths.get(f"/{model_id}/requests/{{request_id}}") or {}).get("get") or {}
    ok = ((result.get("responses") or {}).get("200") or {}).get("content") or {}
    output_schema = (ok.get("application/json") or {}).get("schema")
    components = (document.get("components") or {}).get("schemas") or {}
    named = {
        suffix: next((v for k, v in components.items() if k.endswith(suffix)), None)
        for suffix in ("Input", "Output")
    }
    return input_schema or named["Input"], output_schema or named["Output"]


def spec_from_openapi(
    document: Mapping[str, Any],
    *,
    provider: str,
    model_id: str,
    node_type: str | None = None,
    category: Category | None = None,
    display_name: str | None = None,
    description: str | None = None,
    pricing: Pricing | None = None,
    source: str | None = None,
    output_type: PortType | None = None,
) -> NodeSpec:
    """A hosted :class:`NodeSpec` for ``model_id`` from its OpenAPI ``document``.

    ``provider`` is ``"fal"`` or ``"replicate"``. ``node_type`` defaults to
    ``<provider>.<model id slug>``; ``output_type`` tells a Replicate model whose
    output is a bare URL what kind of file it returns (guessed from the model id
    otherwise). Raises :class:`SchemaImportError` for a document without input
    and output schemas.
    """
    if provider not in _SKIPPED:
        raise SchemaImportError(f"no OpenAPI importer for provider {provider!r}")
    metadata: Mapping[str, Any] = {}
    if provider == "replicate":
        about = document.get("description")
        description = description or (about if isinstance(about, str) else None)
        version = document.get("latest_version") or document
        if isinstance(version, Mapping) and "openapi_schema" in version:
            document = version["openapi_schema"] or {}
    schemas = _Schemas(document)
    if provider == "fal":
        metadata = (document.get("info") or {}).get("x-fal-metadata") or {}
        raw_in, raw_out = _fal_schemas(document, model_id.strip("/"), schemas)
    else:
        components = (document.get("components") or {}).get("schemas") or {}
        raw_in, raw_out = components.get("Input"), components.get("Output")
    if not isinstance(raw_in, Mapping) or not isinstance(raw_out, Mapping):
        raise SchemaImportError(f"the {provider} document has no input and output schemas")
    inputs, params, input_fields = _inputs(provider, schemas.flatten(raw_in), schemas)
    if provider == "fal":
        outputs, output_paths = _outputs_from_object(schemas.flatten(raw_out), schemas, "")
    else:
        words = f"{model_id} {description or ''}"
        outputs, output_paths = _replicate_outputs(raw_out, schemas, output_type, words)
    if not outputs:
        outputs, output_paths = [PortSpec(name="result", type=PortType.JSON)], {"result": ""}
    if category is None:
        category = _FAL_CATEGORIES.get(str(metadata.get("category", "")))
    if category is None:
        first = outputs[0].type
        category = _BY_OUTPUT.get(first, Category.UTILITY)
        if first == PortType.IMAGE and any(p.type == PortType.IMAGE and p.required for p in inputs):
            category = Category.EDITING
    if source is None:
        documented = metadata.get("documentationUrl")
        base = "https://fal.ai/models" if provider == "fal" else "https://replicate.com"
        source = documented or f"{base}/{model_id.split(':')[0]}/api"
    return NodeSpec(
        type=node_type or f"{provider}.{_slug(model_id.split(':')[0])}",
        category=category,
        display_name=display_name or model_id.split(":")[0],
        description=description or f"{model_id} on {provider}, imported from its OpenAPI schema",
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        params=tuple(params),
        provider=provider,
        model_id=model_id,
        pricing=pricing or FREE,
        source=str(source),
        provider_options={
            "input_fields": input_fields,
            "output_paths": output_paths,
            "imported_from": "openapi",
        },
    )
