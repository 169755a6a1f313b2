"""The node catalog reference, ``docs/nodes.md``, generated from the catalog.

:func:`catalog_markdown` turns a :class:`~engine.catalog.registry.Catalog` into
one Markdown page (one section per category, in the catalog's order) for people
who build pipelines, not for programs (those read ``patchbay catalog --json``).
The page is regenerated, never edited by hand::

    python -m engine.catalog.docs --write      # or: patchbay catalog --markdown

and ``tests/engine/test_catalog_docs.py`` fails when the committed page is stale.

:func:`port_help` and :func:`param_help` are the one wording of a port's or a
parameter's help, shared by this page and the editor's tooltips; they fall back
to the type and whether it is required when the catalog has no description.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from engine.catalog.registry import Catalog, default_catalog
from engine.catalog.spec import (
    Category,
    NodeSpec,
    ParamKind,
    ParamSpec,
    PortSpec,
    PortType,
    PricingUnit,
)

__all__ = [
    "CATEGORY_TITLES",
    "DOCS_PATH",
    "REGENERATE_COMMAND",
    "catalog_markdown",
    "main",
    "param_help",
    "port_help",
    "pricing_summary",
    "provider_summary",
]

#: Where the generated page lives in a source checkout.
DOCS_PATH = Path(__file__).resolve().parents[2] / "docs" / "nodes.md"
#: The command that rewrites :data:`DOCS_PATH` (named in the page and in the staleness test).
REGENERATE_COMMAND = "python -m engine.catalog.docs --write"

CATEGORY_TITLES: dict[Category, str] = {
    Category.INPUT: "Inputs",
    Category.IMAGE: "Image generation",
    Category.VIDEO: "Video",
    Category.AUDIO: "Audio, speech and music",
    Category.EDITING: "Image editing",
    Category.THREE_D: "3D",
    Category.TEXT: "Text and LLMs",
    Category.UTILITY: "Utility",
    Category.OUTPUT: "Outputs",
}

_CATEGORY_INTROS: dict[Category, str] = {
    Category.INPUT: (
        "Values a run is given: the fields of a webhook form, `--input name=value` on "
        "the command line, or the default typed into the node."
    ),
    Category.IMAGE: "Make images from a prompt with a hosted model (or your own ComfyUI server).",
    Category.VIDEO: (
        "Make clips from a prompt or an image, and turn images into clips, trim, join and "
        "score them."
    ),
    Category.AUDIO: (
        "Voice-over, dialogue, music and sound effects, and joining, mixing and trimming audio."
    ),
    Category.EDITING: (
        "Work on existing images: load, save, resize, crop, caption and lay out on this "
        "computer, or edit by instruction, inpaint, upscale and cut out with a hosted model."
    ),
    Category.THREE_D: "Turn a picture or a prompt into a 3D model (a mesh).",
    Category.TEXT: "Write and transform text: templates, splitting into batches, LLM calls.",
    Category.UTILITY: "Small helpers for data and lists between the other nodes.",
    Category.OUTPUT: (
        "What a run returns: the results a webhook caller or `patchbay run --json` receives."
    ),
}

_PROVIDER_LABELS: dict[str, str] = {
    "local": "this computer",
    "fal": "fal.ai",
    "replicate": "Replicate",
    "openai": "the OpenAI API",
    "google": "the Google Gemini API",
    "elevenlabs": "ElevenLabs",
    "comfyui": "your ComfyUI server",
}

_SHORT_PROVIDERS: dict[str, str] = {
    "local": "This computer",
    "fal": "fal.ai",
    "replicate": "Replicate",
    "openai": "OpenAI",
    "google": "Google",
    "elevenlabs": "ElevenLabs",
    "comfyui": "Your server",
}

_KIND_LABELS: dict[ParamKind, str] = {
    ParamKind.STRING: "text (one line)",
    ParamKind.TEXT: "text",
    ParamKind.INTEGER: "whole number",
    ParamKind.NUMBER: "number",
    ParamKind.BOOLEAN: "on / off",
    ParamKind.ENUM: "choice",
    ParamKind.SEED: "seed",
    ParamKind.COLOR: "colour",
    ParamKind.FILE: "file",
    ParamKind.JSON: "JSON",
}

_PORT_NOUNS: dict[PortType, str] = {
    PortType.TEXT: "text",
    PortType.NUMBER: "number",
    PortType.BOOLEAN: "true/false value",
    PortType.JSON: "JSON value",
    PortType.IMAGE: "image",
    PortType.VIDEO: "video clip",
    PortType.AUDIO: "audio clip",
    PortType.MASK: "mask",
    PortType.MESH: "3D mesh",
}

_MAX_DEFAULT = 48


# -- help texts shared with the editor -------------------------------------------------


def _article(noun: str) -> str:
    return "an" if noun[:1] in "aeiou" else "a"


def port_help(port: PortSpec, *, output: bool = False) -> str:
    """What a port is for: its description, or a sentence built from its type."""
    if port.description.strip():
        return port.description.strip()
    noun = _PORT_NOUNS[port.type]
    if output:
        return (
            f"A list of {noun} items this node produces."
            if port.is_list
            else (f"The {noun} this node produces.")
        )
    what = f"a list of {noun} items" if port.is_list else f"{_article(noun)} {noun}"
    need = "Required" if port.required else "Optional"
    return f"{need}: wire {what} here."


def param_help(param: ParamSpec) -> str:
    """What a parameter is for: its description, or its kind and whether it is required."""
    if param.description.strip():
        return param.description.strip()
    need = "Required" if param.required and param.default is None else "Optional"
    return f"{need} {_KIND_LABELS[param.kind]} setting."


# -- summaries ---------------------------------------------------------------------------


def _credits(amount: float) -> str:
    return f"{amount:g} credit" + ("" if amount == 1 else "s")


def _param_title(spec: NodeSpec, name: str) -> str:
    param = spec.param(name)
    return (param.label if param is not None and param.label else name.replace("_", " ")).lower()


def pricing_summary(spec: NodeSpec) -> str:
    """How a node is charged, in words (``"3 credits per image"``, ``"free"``)."""
    pricing = spec.pricing
    if pricing.unit == PricingUnit.FREE:
        return "free"
    amount = _credits(pricing.credits)
    quantity = pricing.quantity_param
    title = _param_title(spec, quantity) if quantity else ""
    text = {
        PricingUnit.PER_RUN: f"{amount} per run",
        PricingUnit.PER_IMAGE: f"{amount} per image"
        + (f" \N{MULTIPLICATION SIGN} {title}" if title else ""),
        PricingUnit.PER_SECOND: f"{amount} per second of output" + (f" ({title})" if title else ""),
        PricingUnit.PER_1K_CHARS: f"{amount} per 1,000 characters"
        + (f" of {title}" if title else ""),
        PricingUnit.PER_MEGAPIXEL: f"{amount} per megapixel",
    }[pricing.unit]
    if pricing.minimum:
        text += f", at least {_credits(pricing.minimum)}"
    return text


def default_estimate(spec: NodeSpec) -> float:
    """Credits for one run with every parameter at its default."""
    return spec.pricing.estimate(spec.resolved_params({}))


def _credential(spec: NodeSpec) -> str | None:
    override = spec.provider_options.get("credential")
    if isinstance(override, str) and override:
        return override
    if spec.provider == "local":
        return None
    from engine.providers.registry import UnknownProviderError, get_provider_class

    try:
        return get_provider_class(spec.provider).credential
    except UnknownProviderError:
        return None


def _place(spec: NodeSpec) -> str:
    if spec.provider == "local":
        return "this computer"
    if spec.provider_options.get("self_hosted"):
        if spec.provider == "comfyui":
            return "your ComfyUI server"
        return "an OpenAI-compatible server you run (Ollama, LM Studio …)"
    base_url = spec.provider_options.get("base_url")
    if isinstance(base_url, str) and base_url:
        return f"the OpenAI-compatible API at {urlparse(base_url).hostname or base_url}"
    return _PROVIDER_LABELS.get(spec.provider, spec.provider)


def _runs_on(spec: NodeSpec) -> str:
    """The short "Runs on" of the index tables."""
    if spec.provider_options.get("self_hosted"):
        return "Your server"
    label = _SHORT_PROVIDERS.get(spec.provider, spec.provider)
    base_url = spec.provider_options.get("base_url")
    if isinstance(base_url, str) and "anthropic" in base_url:
        label = "Anthropic"
    return label


def provider_summary(spec: NodeSpec) -> str:
    """Where a node runs and which key it needs, in words."""
    if spec.provider == "local":
        return "runs on this computer, no key needed"
    key = _credential(spec)
    if spec.provider_options.get("self_hosted"):
        return f"runs on {_place(spec)}; no key unless your server asks for one"
    return f"runs on {_place(spec)}" + (f", key `{key}`" if key else "")


# -- markdown helpers ------------------------------------------------------------------------

_CODE_SPAN = re.compile(r"(`[^`]*`)")
_ESCAPED = re.compile(r"([\\*_\[\]|])")


def _text(value: str) -> str:
    """Catalog prose made safe for a Markdown table cell (code spans kept)."""
    parts = _CODE_SPAN.split(" ".join(value.split()))
    out = []
    for index, part in enumerate(parts):
        if index % 2:  # a code span: only a pipe would break the table
            out.append(part.replace("|", "\\|"))
        else:
            escaped = _ESCAPED.sub(r"\\\1", part)
            out.append(escaped.replace("<", "&lt;").replace(">", "&gt;"))
    return "".join(out)


def _code(value: str) -> str:
    value = value.replace("|", "\\|")
    fence = "``" if "`" in value else "`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _value(value: Any) -> str:
    if isinstance(value, str):
        if not value:
            return "empty"
        shown = value if len(value) <= _MAX_DEFAULT else value[: _MAX_DEFAULT - 1] + "…"
        return _code(shown.replace("\n", "⏎"))
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int | float):
        return _code(f"{value:g}")
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    shown = text if len(text) <= _MAX_DEFAULT else text[: _MAX_DEFAULT - 1] + "…"
    return _code(shown)


def _number(value: float) -> str:
    return f"{value:g}"


class _Slugger:
    """GitHub's heading anchors: lower case, punctuation dropped, repeats numbered."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def slug(self, heading: str) -> str:
        base = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = self._seen.get(base, 0)
        self._seen[base] = count + 1
        return base if count == 0 else f"{base}-{count}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


# -- the page ----------------------------------------------------------------------------


def _port_name(port: PortSpec | ParamSpec) -> str:
    if port.label and port.label.lower() != port.name.replace("_", " ").lower():
        return f"{_text(port.label)} ({_code(port.name)})"
    return _code(port.name)


def _port_type(port: PortSpec) -> str:
    return f"{port.type.value}, list" if port.is_list else port.type.value


def _kind(param: ParamSpec) -> str:
    if param.kind == ParamKind.FILE and param.accept is not None:
        return f"file ({param.accept.value})"
    return _KIND_LABELS[param.kind]


def _range(param: ParamSpec) -> str:
    if param.choices is not None:
        return ", ".join(_value(choice) for choice in param.choices)
    low, high = param.minimum, param.maximum
    if low is not None and high is not None:
        text = f"{_number(low)} to {_number(high)}"
    elif low is not None:
        text = f"at least {_number(low)}"
    elif high is not None:
        text = f"at most {_number(high)}"
    else:
        return ""
    if param.step is not None and param.kind == ParamKind.NUMBER:
        text += f", step {_number(param.step)}"
    return text


def _default(param: ParamSpec) -> str:
    if param.default is not None:
        return _value(param.default)
    if param.required:
        return "**required**"
    return "random" if param.kind == ParamKind.SEED else "—"


def _node_section(spec: NodeSpec) -> list[str]:
    lines = [f"### {spec.display_name}", ""]
    facts = [_code(spec.type), provider_summary(spec)]
    if spec.model_id and spec.provider != "local":
        facts.append(f"model {_code(spec.model_id)}")
    lines += [" · ".join(facts), ""]
    if spec.description:
        lines += [_text(spec.description), ""]
    price = pricing_summary(spec)
    if spec.pricing.unit != PricingUnit.FREE:
        price += f"; with the default settings: {_credits(default_estimate(spec))}"
    credit_line = f"**Credits:** {price}."
    if spec.provider != "local":
        credit_line += " Preview mode runs it offline and charges nothing."
    lines += [credit_line, ""]
    if spec.aliases:
        lines += [f"**Search words:** {_text(', '.join(spec.aliases))}", ""]
    if spec.inputs:
        rows = [
            [
                _port_name(p),
                _port_type(p),
                "required" if p.required else "optional",
                _text(port_help(p)),
            ]
            for p in spec.inputs
        ]
        lines += ["**Inputs**", "", *_table(["Port", "Type", "Needed", "What it is"], rows), ""]
    if spec.outputs:
        rows = [
            [_port_name(p), _port_type(p), _text(port_help(p, output=True))] for p in spec.outputs
        ]
        lines += ["**Outputs**", "", *_table(["Port", "Type", "What it is"], rows), ""]
    if spec.params:
        rows = []
        for param in spec.params:
            about = _text(param_help(param))
            if spec.input(param.name) is not None:
                about += " *(also an input: a wire overrides it)*"
            rows.append([_port_name(param), _kind(param), _default(param), _range(param), about])
        header = ["Parameter", "Kind", "Default", "Range or choices", "What it does"]
        lines += ["**Parameters**", "", *_table(header, rows), ""]
    if spec.source:
        lines += [f"Provider reference: <{spec.source}>", ""]
    return lines


def _intro(catalog: Catalog) -> list[str]:
    local = sum(1 for spec in catalog if spec.provider == "local")
    categories = len(catalog.counts_by_category())
    return [
        "# Node catalog",
        "",
        f"<!-- Generated from the node catalog by `{REGENERATE_COMMAND}` "
        "(or `patchbay catalog --markdown`). Do not edit by hand. -->",
        "",
        f"Every node type Patchbay ships with: {len(catalog)} in {categories} categories. "
        f"{local} run on this computer with no key and cost nothing; the other "
        f"{len(catalog) - local} call a hosted model and need that provider's API key "
        "(or run on a Patchbay server that has it).",
        "",
        "How to read an entry:",
        "",
        "- **Inputs** are the ports on the left of a node, **outputs** those on the right. "
        "A wire only connects ports of matching types; an input marked *list* takes a whole "
        "batch at once, any other input fed a batch runs the node once per item.",
        "- **Parameters** are set in the Properties panel. A parameter that is also an input "
        "can be typed in or wired.",
        "- **Credits** are what the node costs per run; the toolbar shows the estimate for "
        "the whole workflow before you press Run. In preview mode hosted nodes run offline "
        "with stand-in outputs and nothing is charged.",
        "",
        "See the [user guide](guide.md) for the editor and running, and "
        "[catalog-sources.md](catalog-sources.md) for where the hosted models' parameters "
        "and prices come from.",
        "",
    ]


def catalog_markdown(catalog: Catalog | None = None) -> str:
    """The whole reference page for ``catalog`` (default: the shipped catalog)."""
    catalog = catalog or default_catalog()
    slugger = _Slugger()
    for heading in ("Node catalog", "Contents"):
        slugger.slug(heading)
    counts = catalog.counts_by_category()
    sections: list[str] = []
    contents: list[list[str]] = []
    for category, count in counts.items():
        title = CATEGORY_TITLES[category]
        anchor = slugger.slug(title)
        specs = [spec for spec in catalog if spec.category == category]
        local = sum(1 for spec in specs if spec.provider == "local")
        contents.append([f"[{title}](#{anchor})", str(count), str(local), str(count - local)])
        sections += [f"## {title}", "", _CATEGORY_INTROS[category], ""]
        index_rows = []
        details: list[str] = []
        for spec in specs:
            slug = slugger.slug(spec.display_name)
            index_rows.append(
                [
                    f"[{_text(spec.display_name)}](#{slug})",
                    _code(spec.type),
                    _runs_on(spec),
                    pricing_summary(spec),
                ]
            )
            details += _node_section(spec)
        sections += [*_table(["Node", "Type id", "Runs on", "Credits"], index_rows), ""]
        sections += details
    total = ["**Total**", f"**{len(catalog)}**"]
    local_total = sum(1 for spec in catalog if spec.provider == "local")
    total += [f"**{local_total}**", f"**{len(catalog) - local_total}**"]
    lines = _intro(catalog)
    lines += ["## Contents", ""]
    lines += _table(["Category", "Node types", "Local", "Hosted"], [*contents, total])
    lines += ["", *sections]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m engine.catalog.docs [--write [PATH] | --check [PATH]]``."""
    parser = argparse.ArgumentParser(
        prog="python -m engine.catalog.docs",
        description="Print (or write) the node catalog reference, docs/nodes.md.",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", nargs="?", const=DOCS_PATH, type=Path, metavar="PATH")
    group.add_argument("--check", nargs="?", const=DOCS_PATH, type=Path, metavar="PATH")
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    text = catalog_markdown()
    if args.write is not None:
        args.write.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {args.write}")
    elif args.check is not None:
        current = args.check.read_text(encoding="utf-8") if args.check.is_file() else ""
        if current != text:
            print(f"{args.check} is stale; run: {REGENERATE_COMMAND}", file=sys.stderr)
            return 1
        print(f"{args.check} is up to date")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
