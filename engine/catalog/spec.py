"""Node types declared as data: ports, parameters and pricing.

Every node type, local or hosted, is one :class:`NodeSpec`. The catalog is
exported as JSON (``patchbay catalog --json``, ``GET /api/v1/nodes``) so the app,
the CLI and the server share one source.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PortType(StrEnum):
    """What travels along a wire."""

    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    JSON = "json"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    MASK = "mask"
    MESH = "mesh"

    @property
    def is_media(self) -> bool:
        """Media values are artifacts in the store, not inline JSON."""
        return self in _MEDIA


_MEDIA = frozenset({PortType.IMAGE, PortType.VIDEO, PortType.AUDIO, PortType.MASK, PortType.MESH})

#: ``(source, target)`` pairs that may be wired although the types differ.
_COMPATIBLE = frozenset(
    {
        (PortType.NUMBER, PortType.TEXT),
        (PortType.BOOLEAN, PortType.TEXT),
        (PortType.MASK, PortType.IMAGE),
        (PortType.IMAGE, PortType.MASK),
        (PortType.TEXT, PortType.JSON),
        (PortType.NUMBER, PortType.JSON),
        (PortType.BOOLEAN, PortType.JSON),
    }
)


def ports_compatible(source: PortType, target: PortType) -> bool:
    """Whether an output of type ``source`` may feed an input of type ``target``."""
    return source == target or (source, target) in _COMPATIBLE


class Category(StrEnum):
    """Palette sections, in display order."""

    INPUT = "input"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    EDITING = "editing"
    THREE_D = "3d"
    TEXT = "text"
    UTILITY = "utility"
    OUTPUT = "output"


class ParamKind(StrEnum):
    """How a parameter is edited and validated."""

    STRING = "string"  # single line
    TEXT = "text"  # multi-line prompt
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    ENUM = "enum"
    SEED = "seed"  # integer with a randomise button
    COLOR = "color"  # "#rrggbb" or "#rrggbbaa"
    FILE = "file"  # a path; ``accept`` names the media kind
    JSON = "json"


class ParamProblem(StrEnum):
    """Why a parameter value was refused by :meth:`ParamSpec.check`."""

    WRONG_TYPE = "wrong_type"
    OUT_OF_RANGE = "out_of_range"
    NOT_IN_ENUM = "not_in_enum"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ParamSpec(_Frozen):
    """One editable parameter of a node, stored in the node's ``data``."""

    name: str
    kind: ParamKind
    label: str | None = None
    description: str = ""
    default: Any = None
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[Any, ...] | None = None
    accept: PortType | None = None  # for FILE: the kind of media to pick

    def check(self, value: Any) -> tuple[ParamProblem, str] | None:
        """Return what is wrong with ``value`` and why, or ``None`` when it is acceptable."""
        kind = self.kind
        wrong = ParamProblem.WRONG_TYPE
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if kind in (ParamKind.STRING, ParamKind.TEXT, ParamKind.FILE):
            if not isinstance(value, str):
                return wrong, f"expected a string, got {_json_type(value)}"
        elif kind in (ParamKind.INTEGER, ParamKind.SEED):
            if not is_number or (isinstance(value, float) and not value.is_integer()):
                return wrong, f"expected an integer, got {_json_type(value)}"
        elif kind == ParamKind.NUMBER:
            if not is_number:
                return wrong, f"expected a number, got {_json_type(value)}"
            if not _is_finite(value):
                return wrong, "expected a finite number"
        elif kind == ParamKind.BOOLEAN:
            if not isinstance(value, bool):
                return wrong, f"expected true or false, got {_json_type(value)}"
        elif kind == ParamKind.COLOR and not _is_color(value):
            return wrong, f"expected a colour like #ff8800, got {_short_repr(value)}"
        if self.choices is not None and not _is_choice(value, self.choices):
            options = ", ".join(map(_short_repr, self.choices))
            return ParamProblem.NOT_IN_ENUM, f"{_short_repr(value)} is not one of {options}"
        if kind in (ParamKind.INTEGER, ParamKind.SEED, ParamKind.NUMBER):
            if self.minimum is not None and value < self.minimum:
                low = f"{_short_repr(value)} is below the minimum {self.minimum:g}"
                return ParamProblem.OUT_OF_RANGE, low
            if self.maximum is not None and value > self.maximum:
                high = f"{_short_repr(value)} is above the maximum {self.maximum:g}"
                return ParamProblem.OUT_OF_RANGE, high
        return None

    def json_schema(self) -> dict[str, Any]:
        """This parameter as a JSON Schema property."""
        types = {
            ParamKind.STRING: "string",
            ParamKind.TEXT: "string",
            ParamKind.FILE: "string",
            ParamKind.COLOR: "string",
            ParamKind.INTEGER: "integer",
            ParamKind.SEED: "integer",
            ParamKind.NUMBER: "number",
            ParamKind.BOOLEAN: "boolean",
        }
        schema: dict[str, Any] = {"x-kind": self.kind.value}
        if self.kind in types:
            schema["type"] = types[self.kind]
        if self.description:
            schema["description"] = self.description
        if self.default is not None:
            schema["default"] = self.default
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.choices is not None:
            schema["enum"] = list(self.choices)
        return schema


class PortSpec(_Frozen):
    """An input or output of a node.

    An input that is not wired takes the node's ``data[name]`` when present, so a
    prompt can be typed in or come from another node. ``is_list`` on an input means
    it takes a whole batch at once (``list.join``, ``image.grid``); any other input
    fed a batch makes the node run once per item. ``is_list`` on an output means the
    port always carries a batch (``text.split_lines``).
    """

    name: str
    type: PortType
    label: str | None = None
    description: str = ""
    required: bool = True
    is_list: bool = False


class PricingUnit(StrEnum):
    """What a node's credits are counted in."""

    FREE = "free"
    PER_RUN = "per_run"
    PER_IMAGE = "per_image"
    PER_SECOND = "per_second"
    PER_1K_CHARS = "per_1k_chars"
    PER_MEGAPIXEL = "per_megapixel"


class Pricing(_Frozen):
    """A pricing rule: ``credits`` per unit, the quantity read from ``quantity_param``.

    ``PER_1K_CHARS`` counts the characters of ``quantity_param`` (a text param);
    the others multiply by its numeric value (default 1), also when a provider's
    enum spells it as text (``"5"``, ``"8s"``). ``minimum`` is a floor.
    """

    unit: PricingUnit = PricingUnit.FREE
    credits: float = Field(default=0.0, ge=0)
    quantity_param: str | None = None
    minimum: float = Field(default=0.0, ge=0)

    def estimate(self, params: dict[str, Any]) -> float:
        """Credits for one run of the node with these parameters."""
        if self.unit == PricingUnit.FREE:
            return 0.0
        quantity: float = 1.0
        if self.quantity_param is not None:
            raw = params.get(self.quantity_param)
            if self.unit == PricingUnit.PER_1K_CHARS:
                quantity = len(raw) / 1000 if isinstance(raw, str) else 0.0
            elif isinstance(raw, int | float) and not isinstance(raw, bool):
                quantity = float(raw)
            elif isinstance(raw, str) and (number := _LEADING_NUMBER.match(raw.strip())):
                quantity = float(number.group())
        return round(max(self.credits * quantity, self.minimum), 6)


FREE = Pricing()

_LEADING_NUMBER = re.compile(r"\d+(?:\.\d+)?")


class NodeSpec(_Frozen):
    """Everything the app, CLI and server need to know about one node type."""

    type: str
    category: Category
    display_name: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    inputs: tuple[PortSpec, ...] = ()
    outputs: tuple[PortSpec, ...] = ()
    params: tuple[ParamSpec, ...] = ()
    provider: str = "local"
    model_id: str | None = None
    pricing: Pricing = FREE
    source: str | None = None  # where the model id and parameters were taken from
    #: Adapter-specific request/response mapping of a hosted node (endpoint path,
    #: request field names for ports, where outputs are found in the response).
    provider_options: dict[str, Any] = Field(default_factory=dict)

    def input(self, name: str) -> PortSpec | None:
        """The input port called ``name``."""
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> PortSpec | None:
        """The output port called ``name``."""
        return next((p for p in self.outputs if p.name == name), None)

    def param(self, name: str) -> ParamSpec | None:
        """The parameter called ``name``."""
        return next((p for p in self.params if p.name == name), None)

    def resolved_params(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` with every parameter's default filled in."""
        resolved = {p.name: p.default for p in self.params if p.default is not None}
        resolved.update(data)
        return resolved

    def params_json_schema(self) -> dict[str, Any]:
        """The parameters as one JSON Schema object."""
        return {
            "type": "object",
            "properties": {p.name: p.json_schema() for p in self.params},
            "required": [p.name for p in self.params if p.required],
        }

    def export(self) -> dict[str, Any]:
        """JSON-ready description used by ``catalog --json`` and ``GET /nodes``."""
        data = self.model_dump(mode="json", exclude={"params"})
        data["params"] = [p.model_dump(mode="json", exclude_none=True) for p in self.params]
        data["paramsSchema"] = self.params_json_schema()
        return data


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_color(value: Any) -> bool:
    if not isinstance(value, str) or not value.startswith("#") or len(value) not in (7, 9):
        return False
    try:
        int(value[1:], 16)
    except ValueError:
        return False
    return True


def _is_choice(value: Any, choices: tuple[Any, ...]) -> bool:
    # ``True == 1`` in Python; a JSON boolean must not pass for the number choice 1.
    return any(value == c and isinstance(value, bool) == isinstance(c, bool) for c in choices)


def _is_finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float is not a usable number either
        return False


def _short_repr(value: Any, limit: int = 60) -> str:
    """``repr`` of a scalar, cut to ``limit``; containers are named, never printed."""
    if isinstance(value, list | tuple | dict | set):
        return _json_type(value)
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return "a huge number"  # repr() of a 5000-digit int raises ValueError
    if isinstance(value, str | int | float | bool) or value is None:
        text = repr(value)
        return text if len(text) <= limit else text[: limit - 1] + "…"
    return type(value).__name__
