"""Text nodes: ``text.template``, ``text.concat``, ``text.split_lines``."""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping, Sequence
from typing import Any

from engine.catalog.registry import Catalog
from engine.catalog.spec import Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.errors import PermanentNodeError
from engine.nodes.base import NodeContext
from engine.nodes.support import port_or_param, to_text, type_name, unescape
from engine.values import Batch

_SLOTS = ("a", "b", "c", "d")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Widths and precisions above this in a format spec are refused (``{a:>999999999}``).
_MAX_FORMAT_NUMBER = 1000
#: A fan-out this large is almost certainly a mistake (a whole file split by line).
MAX_LINES = 1000


def _text_ports(what: str) -> tuple[PortSpec, ...]:
    return tuple(
        PortSpec(name=slot, type=PortType.TEXT, required=False, description=f"{what} {slot}.")
        for slot in _SLOTS
    )


# ---------------------------------------------------------------- text.template

TEMPLATE = NodeSpec(
    type="text.template",
    category=Category.TEXT,
    display_name="Text Template",
    description="Fill a template's {placeholders} from the inputs a-d and the keys of the "
    "vars object, e.g. 'A poster of {a} in {style}'. Write {{ and }} for literal braces; "
    "{n:.2f} style formats are allowed.",
    aliases=("format", "prompt template", "f-string", "interpolate", "fill in"),
    inputs=(
        *_text_ports("Value for {placeholder}"),
        PortSpec(
            name="vars",
            type=PortType.JSON,
            required=False,
            description="An object whose keys are more placeholder names.",
        ),
    ),
    outputs=(PortSpec(name="text", type=PortType.TEXT, description="The filled-in text."),),
    params=(
        ParamSpec(
            name="template",
            kind=ParamKind.TEXT,
            label="Template",
            default="{a}",
            description="Text with {name} placeholders: a, b, c, d or a key of vars.",
        ),
    ),
)


class _SafeFormatter(string.Formatter):
    """``str.format`` limited to plain names: no ``{a.__class__}``, no ``{a[0]}``."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if field_name == "" or field_name.isdigit():
            raise PermanentNodeError(
                "template: use named placeholders such as {a} or {title}, not {} or {0}"
            )
        if _NAME.fullmatch(field_name) is None:
            raise PermanentNodeError(
                f"template: {{{field_name}}} is not allowed; placeholders are plain names "
                "(letters, digits and _), without . or [ ]"
            )
        if field_name not in self.values:
            available = ", ".join(f"{{{k}}}" for k in self.values) or "none (connect a-d or vars)"
            raise PermanentNodeError(
                f"template: {{{field_name}}} has no value; available: {available}",
                details={"missing": field_name, "available": list(self.values)},
            )
        return self.values[field_name], field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        if not format_spec:
            return to_text(value)
        numbers = [int(n) for n in re.findall(r"\d+", format_spec)]
        if any(n > _MAX_FORMAT_NUMBER for n in numbers):
            raise PermanentNodeError(
                f"template: format {format_spec!r} is too wide (limit {_MAX_FORMAT_NUMBER})"
            )
        try:
            return format(value, format_spec)
        except (ValueError, TypeError) as exc:
            raise PermanentNodeError(
                f"template: format {format_spec!r} does not apply to {type_name(value)} "
                f"{to_text(value)[:40]!r} ({exc})"
            ) from exc


def _template_values(inputs: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    variables = inputs.get("vars")
    if isinstance(variables, str):
        try:
            variables = json.loads(variables) if variables.strip() else None
        except json.JSONDecodeError:
            raise PermanentNodeError("vars: expected a JSON object, got plain text") from None
    if variables is not None:
        if not isinstance(variables, dict):
            raise PermanentNodeError(f"vars: expected a JSON object, got {type_name(variables)}")
        values.update({str(k): v for k, v in variables.items() if _NAME.fullmatch(str(k))})
    for slot in _SLOTS:
        if inputs.get(slot) is not None:
            values[slot] = inputs[slot]
    return values


def render_template(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``template`` safely; raises :class:`PermanentNodeError` on any mistake."""
    formatter = _SafeFormatter(values)
    try:
        return formatter.vformat(template, (), {})
    except ValueError as exc:
        raise PermanentNodeError(
            f"template: {exc}; write {{{{ and }}}} for literal braces"
        ) from exc


def run_template(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Render the template."""
    template = to_text(ctx.params.get("template"))
    return {"text": render_template(template, _template_values(inputs))}


# ---------------------------------------------------------------- text.concat

CONCAT = NodeSpec(
    type="text.concat",
    category=Category.TEXT,
    display_name="Join Text",
    description="Join up to four texts a, b, c, d in order with a separator.",
    aliases=("concatenate", "combine", "append", "merge text", "join"),
    inputs=_text_ports("Text"),
    outputs=(PortSpec(name="text", type=PortType.TEXT, description="The joined text."),),
    params=(
        *(
            ParamSpec(
                name=slot,
                kind=ParamKind.TEXT,
                label=slot.upper(),
                default="",
                description=f"Text {slot}, used when the {slot} input is not connected.",
            )
            for slot in _SLOTS
        ),
        ParamSpec(
            name="separator",
            kind=ParamKind.STRING,
            label="Separator",
            default=" ",
            description="Put between the parts; \\n is a line break, \\t a tab.",
        ),
        ParamSpec(
            name="skip_empty",
            kind=ParamKind.BOOLEAN,
            label="Skip empty parts",
            default=True,
            description="Leave out empty texts so no doubled separators appear.",
        ),
    ),
)


def run_concat(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Join the parts."""
    parts = [to_text(port_or_param(ctx, inputs, slot)) for slot in _SLOTS]
    if ctx.params.get("skip_empty", True):
        parts = [part for part in parts if part]
    separator = unescape(to_text(ctx.params.get("separator")))
    return {"text": separator.join(parts)}


# ---------------------------------------------------------------- text.split_lines

SPLIT_LINES = NodeSpec(
    type="text.split_lines",
    category=Category.TEXT,
    display_name="Split Lines",
    description="Turn text into a list, one item per line (or per separator). Nodes fed the "
    "list run once per item.",
    aliases=("split", "lines", "list", "batch", "explode", "variants"),
    inputs=(
        PortSpec(
            name="text",
            type=PortType.TEXT,
            required=False,
            description="The text to split; overrides the Text parameter when wired.",
        ),
    ),
    outputs=(PortSpec(name="lines", type=PortType.TEXT, is_list=True, description="The items."),),
    params=(
        ParamSpec(
            name="text",
            kind=ParamKind.TEXT,
            label="Text",
            default="",
            description="One item per line.",
        ),
        ParamSpec(
            name="separator",
            kind=ParamKind.STRING,
            label="Separator",
            default="",
            description="Empty = line breaks; otherwise split on this text (e.g. , or |).",
        ),
        ParamSpec(
            name="strip",
            kind=ParamKind.BOOLEAN,
            label="Trim spaces",
            default=True,
            description="Remove spaces around each item.",
        ),
        ParamSpec(
            name="skip_empty",
            kind=ParamKind.BOOLEAN,
            label="Skip empty items",
            default=True,
            description="Leave out blank lines.",
        ),
    ),
)


def split_text(
    text: str, *, separator: str = "", strip: bool = True, skip_empty: bool = True
) -> list[str]:
    """Split ``text`` into items as ``text.split_lines`` does."""
    items = text.split(separator) if separator else text.splitlines()
    if strip:
        items = [item.strip() for item in items]
    if skip_empty:
        items = [item for item in items if item]
    return items


def run_split_lines(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Split the text into a batch."""
    items = split_text(
        to_text(port_or_param(ctx, inputs, "text")),
        separator=unescape(to_text(ctx.params.get("separator"))),
        strip=bool(ctx.params.get("strip", True)),
        skip_empty=bool(ctx.params.get("skip_empty", True)),
    )
    if len(items) > MAX_LINES:
        raise PermanentNodeError(
            f"the text splits into {len(items)} items; the limit is {MAX_LINES} per list"
        )
    return {"lines": Batch(tuple(items))}


def register(catalog: Catalog) -> None:
    """Register the text nodes."""
    catalog.register(TEMPLATE, run_template)
    catalog.register(CONCAT, run_concat)
    catalog.register(SPLIT_LINES, run_split_lines)
