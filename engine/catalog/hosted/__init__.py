"""Hosted model node types, declared as data: one JSON file per provider family.

Every file here (``fal_image.json``, ``replicate.json``, ``openai.json`` …) lists
models of one provider. A file holds:

- ``provider`` (``fal``, ``replicate``, ``openai``, ``google``, ``elevenlabs``,
  ``comfyui``) and ``source`` (the documentation URL, ``{model_id}`` is filled in);
- ``ports`` and ``params``: named definitions that families and models refer to
  by name (a string) or extend (``{"use": "seed", "default": 7}``);
- ``families``: shared defaults (category, ports, params, ``provider_options``,
  pricing, aliases) merged into each model that names the family;
- ``models``: one entry per node type with its ``type``, ``name``,
  ``model_id``, ``description`` and whatever differs from its family. Params merge
  by name (``drop_params`` removes some), the field mappings of ``provider_options``
  (``input_fields``, ``param_fields``, ``output_paths``, ``fixed_fields``) merge key by key,
  anything else replaces the family's value.

Every text input port gets a same-named multi-line parameter, so a prompt can be
typed in the properties panel or wired from another node. :func:`register` builds
the :class:`~engine.catalog.spec.NodeSpec` of every entry and registers it with the
one hosted implementation, :func:`engine.providers.hosted.make_hosted_node`.
Credits follow the convention 1 credit = US$0.01 (docs/catalog-sources.md).
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from engine.catalog.spec import (
    Category,
    NodeSpec,
    ParamKind,
    ParamSpec,
    PortSpec,
    PortType,
    Pricing,
)

if TYPE_CHECKING:
    from engine.catalog.registry import Catalog

__all__ = [
    "DATA_FILES",
    "HOSTED_PROVIDERS",
    "HostedCatalogError",
    "load_specs",
    "register",
    "specs_from_document",
]

#: The data files, in palette order.
DATA_FILES = (
    "fal_image.json",
    "fal_editing.json",
    "fal_video.json",
    "fal_audio.json",
    "fal_3d.json",
    "replicate.json",
    "openai.json",
    "google.json",
    "elevenlabs.json",
    "comfyui.json",
)

HOSTED_PROVIDERS = frozenset({"fal", "replicate", "openai", "google", "elevenlabs", "comfyui"})

#: Categories a hosted node may have; its type id starts with the category.
_CATEGORIES = frozenset(
    {
        Category.IMAGE,
        Category.EDITING,
        Category.VIDEO,
        Category.AUDIO,
        Category.THREE_D,
        Category.TEXT,
    }
)
_TYPE_ID = re.compile(r"^(image|editing|video|audio|3d|text)\.[a-z0-9]+(?:-[a-z0-9]+)*$")

_FILE_KEYS = {"provider", "source", "read_on", "notes", "ports", "params", "families", "models"}
_FAMILY_KEYS = {
    "category",
    "description",
    "aliases",
    "inputs",
    "outputs",
    "params",
    "provider_options",
    "pricing",
    "source",
}
#: ``provider_options`` mappings a model extends key by key (others it replaces).
_MERGED_OPTIONS = frozenset({"input_fields", "param_fields", "output_paths", "fixed_fields"})
_MODEL_KEYS = _FAMILY_KEYS | {
    "type",
    "family",
    "name",
    "model_id",
    "add_inputs",
    "drop_params",
}


class HostedCatalogError(ValueError):
    """A hosted catalog data file is malformed (a programming error, found by the tests)."""


def register(catalog: Catalog) -> None:
    """Register every hosted model node type into ``catalog``."""
    # Imported here, not at module level: load_specs() works without the provider stack.
    from engine.providers.hosted import make_hosted_node

    for spec in load_specs():
        catalog.register(spec, make_hosted_node(spec))


@functools.cache
def load_specs() -> tuple[NodeSpec, ...]:
    """The specs of every hosted node type shipped with Patchbay."""
    package = importlib.resources.files(__name__)
    specs: list[NodeSpec] = []
    for name in DATA_FILES:
        document = json.loads(package.joinpath(name).read_text(encoding="utf-8"))
        specs.extend(specs_from_document(document, origin=name))
    return tuple(specs)


def specs_from_document(document: Mapping[str, Any], *, origin: str = "<data>") -> list[NodeSpec]:
    """The node specs declared by one data file (see the module docstring)."""
    _check_keys(document, _FILE_KEYS, origin)
    provider = document.get("provider")
    if provider not in HOSTED_PROVIDERS:
        raise HostedCatalogError(f"{origin}: unknown provider {provider!r}")
    library = _Library(document, origin)
    families: Mapping[str, Mapping[str, Any]] = document.get("families", {})
    for family_name, family in families.items():
        _check_keys(family, _FAMILY_KEYS, f"{origin}: family {family_name!r}")
    specs = []
    for entry in document.get("models", []):
        where = f"{origin}: {entry.get('type', '<no type>')}"
        _check_keys(entry, _MODEL_KEYS, where)
        family_name = entry.get("family")
        if family_name is not None and family_name not in families:
            raise HostedCatalogError(f"{where}: unknown family {family_name!r}")
        family = families.get(family_name, {}) if family_name else {}
        try:
            specs.append(_build(str(provider), document, library, family, entry))
        except (KeyError, TypeError, ValueError) as exc:
            raise HostedCatalogError(f"{where}: {exc}") from exc
    return specs


class _Library:
    """The named port and parameter definitions of one data file."""

    def __init__(self, document: Mapping[str, Any], origin: str) -> None:
        self.ports: Mapping[str, Mapping[str, Any]] = document.get("ports", {})
        self.params: Mapping[str, Mapping[str, Any]] = document.get("params", {})
        self.origin = origin

    def port(self, item: str | Mapping[str, Any]) -> PortSpec:
        return PortSpec(**self._resolve(item, self.ports, "port"))

    def param(self, item: str | Mapping[str, Any]) -> dict[str, Any]:
        return self._resolve(item, self.params, "param")

    def _resolve(
        self, item: str | Mapping[str, Any], named: Mapping[str, Mapping[str, Any]], what: str
    ) -> dict[str, Any]:
        if isinstance(item, str):
            item = {"use": item}
        fields = dict(item)
        base_name = fields.pop("use", None)
        if base_name is None:
            return fields
        if base_name not in named:
            raise KeyError(f"no {what} called {base_name!r} in {self.origin}")
        merged = {"name": base_name, **named[base_name]}
        merged.update(fields)
        return merged


def _build(
    provider: str,
    document: Mapping[str, Any],
    library: _Library,
    family: Mapping[str, Any],
    entry: Mapping[str, Any],
) -> NodeSpec:
    def pick(key: str, default: Any = None) -> Any:
        return entry[key] if key in entry else family.get(key, default)

    node_type = str(entry["type"])
    category = Category(pick("category"))
    if category not in _CATEGORIES or not _TYPE_ID.match(node_type):
        raise ValueError(f"type {node_type!r} is not '<category>.<slug>' for a hosted category")
    if not node_type.startswith(f"{category.value}."):
        raise ValueError(f"type {node_type!r} does not start with its category {category.value!r}")
    model_id = str(entry["model_id"])
    inputs = [library.port(p) for p in pick("inputs", [])]
    inputs += [library.port(p) for p in entry.get("add_inputs", [])]
    outputs = [library.port(p) for p in pick("outputs", [])]
    params = _merge_params(
        library,
        family.get("params", []),
        entry.get("params", []),
        drop=entry.get("drop_params", []),
    )
    params = _with_text_port_params(inputs, params)
    options = {**family.get("provider_options", {})}
    for key, value in entry.get("provider_options", {}).items():
        if key in _MERGED_OPTIONS and isinstance(options.get(key), Mapping):
            options[key] = {**options[key], **value}
        else:
            options[key] = value
    source = pick("source") or document.get("source")
    aliases = [*entry.get("aliases", []), *family.get("aliases", [])]
    return NodeSpec(
        type=node_type,
        category=category,
        display_name=str(entry["name"]),
        description=str(pick("description", "")),
        aliases=tuple(dict.fromkeys(aliases)),
        inputs=tuple(inputs),
        outputs=tuple(outputs),
        params=tuple(params),
        provider=provider,
        model_id=model_id,
        pricing=Pricing(**pick("pricing", {})),
        source=str(source).format(model_id=model_id) if source else None,
        provider_options=options,
    )


def _merge_params(
    library: _Library,
    family: Iterable[str | Mapping[str, Any]],
    model: Iterable[str | Mapping[str, Any]],
    *,
    drop: Iterable[str],
) -> list[ParamSpec]:
    merged: dict[str, dict[str, Any]] = {}
    for item in family:
        fields = library.param(item)
        merged[fields["name"]] = fields
    for item in model:
        fields = library.param(item)
        name = fields["name"]
        # A model entry that only names a family parameter adjusts it (e.g. its default).
        if isinstance(item, Mapping) and "use" not in item and name in merged:
            fields = {**merged[name], **fields}
        merged[name] = fields
    for name in drop:
        if merged.pop(name, None) is None:
            raise KeyError(f"drop_params names {name!r}, which the family does not have")
    return [_param(fields) for fields in merged.values()]


def _param(fields: Mapping[str, Any]) -> ParamSpec:
    values = dict(fields)
    if values.get("label") is None:
        values["label"] = str(values["name"]).replace("_", " ").capitalize()
    if "choices" in values and values["choices"] is not None:
        values["choices"] = tuple(values["choices"])
    return ParamSpec(**values)


def _with_text_port_params(inputs: list[PortSpec], params: list[ParamSpec]) -> list[ParamSpec]:
    """Give every text input a same-named text parameter (typed in when not wired)."""
    names = {p.name for p in params}
    added = [
        ParamSpec(
            name=port.name,
            kind=ParamKind.TEXT,
            label=port.label or port.name.replace("_", " ").capitalize(),
            description=port.description,
            default="",
        )
        for port in inputs
        if port.type == PortType.TEXT and port.name not in names
    ]
    return [*added, *params]


def _check_keys(data: Any, allowed: set[str], where: str) -> None:
    if not isinstance(data, Mapping):
        raise HostedCatalogError(f"{where}: expected an object")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise HostedCatalogError(f"{where}: unknown keys {', '.join(unknown)}")
