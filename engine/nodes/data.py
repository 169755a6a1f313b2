"""Data nodes: ``json.extract``, ``math.expression``, ``list.join``, ``list.pick``."""

from __future__ import annotations

import ast
import contextlib
import json
import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from engine.catalog.registry import Catalog
from engine.catalog.spec import Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.errors import PermanentNodeError
from engine.nodes.base import NodeContext
from engine.nodes.support import (
    as_items,
    parse_number,
    port_or_param,
    to_text,
    type_name,
    unescape,
)

# ---------------------------------------------------------------- json.extract

EXTRACT = NodeSpec(
    type="json.extract",
    category=Category.UTILITY,
    display_name="Extract from JSON",
    description="Read one value out of JSON data with a path such as a.b[0].c, "
    'items[-1] or ["key with spaces"]. An empty path returns the whole value.',
    aliases=("json path", "get field", "pluck", "select", "property", "jq"),
    inputs=(
        PortSpec(
            name="json",
            type=PortType.JSON,
            description="The data; text holding JSON is parsed first.",
        ),
    ),
    outputs=(
        PortSpec(name="value", type=PortType.JSON, description="The value found."),
        PortSpec(
            name="text",
            type=PortType.TEXT,
            description="The value as text (objects and lists as JSON).",
        ),
    ),
    params=(
        ParamSpec(
            name="path",
            kind=ParamKind.STRING,
            label="Path",
            default="",
            description="Keys separated by dots, list indexes in brackets (negative counts "
            'from the end), odd keys quoted: a.b[0].c, ["my key"].',
        ),
        ParamSpec(
            name="required",
            kind=ParamKind.BOOLEAN,
            label="Fail when missing",
            default=True,
            description="Fail the node when the path does not exist; otherwise output null "
            "and empty text.",
        ),
    ),
)

Step = str | int
_PATH_TOKEN = re.compile(
    r"""\.?(?P<key>[^.\[\]"']+)"""  # a.b or .b
    r"""|\[\s*(?P<index>-?\d+)\s*\]"""  # [0], [-1]
    r"""|\[\s*(?P<quote>["'])(?P<quoted>(?:(?!(?P=quote)).)*)(?P=quote)\s*\]"""  # ["k"]
)


def parse_path(path: str) -> list[Step]:
    """Parse ``a.b[0]["c d"]`` into ``["a", "b", 0, "c d"]``."""
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
    steps: list[Step] = []
    position = 0
    while position < len(text):
        match = _PATH_TOKEN.match(text, position)
        bare_key = match is not None and match.group("key") is not None
        if match is None or (bare_key and position > 0 and text[position] != "."):
            raise PermanentNodeError(
                f"path: unexpected {text[position]!r} at character {position + 1} of "
                f'{path!r}; write keys as a.b, indexes as [0] and odd keys as ["my key"]',
                details={"column": position + 1},
            )
        if match.group("key") is not None:
            steps.append(match.group("key").strip())
        elif match.group("index") is not None:
            steps.append(int(match.group("index")))
        else:
            steps.append(match.group("quoted"))
        position = match.end()
    return steps


def _describe(steps: list[Step]) -> str:
    out = ""
    for step in steps:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out or "the top level"


def extract(value: Any, steps: list[Step]) -> Any:
    """Follow ``steps`` into ``value``; a missing step raises :class:`PermanentNodeError`."""
    for depth, step in enumerate(steps):
        where = _describe(steps[:depth])
        if isinstance(value, list):
            index = step if isinstance(step, int) else _list_index(step, where)
            if not -len(value) <= index < len(value):
                raise PermanentNodeError(
                    f"path: index {index} is out of range at {where} (the list has "
                    f"{len(value)} items)"
                )
            value = value[index]
        elif isinstance(value, dict):
            key = str(step)
            if key not in value:
                keys = ", ".join(map(repr, list(value)[:10])) or "none"
                raise PermanentNodeError(f"path: no key {key!r} at {where}; its keys are {keys}")
            value = value[key]
        else:
            raise PermanentNodeError(
                f"path: {where} is {type_name(value)}, which has no {step!r} inside"
            )
    return value


def _list_index(step: str, where: str) -> int:
    if re.fullmatch(r"-?\d+", step):
        return int(step)
    raise PermanentNodeError(f"path: {where} is a list; use an index like [0], not {step!r}")


def run_extract(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Extract the value at ``path``."""
    data = inputs.get("json")
    if isinstance(data, str):
        # plain text stays text; only an empty path can return it
        with contextlib.suppress(json.JSONDecodeError):
            data = json.loads(data)
    steps = parse_path(to_text(ctx.params.get("path")))
    try:
        value = extract(data, steps)
    except PermanentNodeError:
        if ctx.params.get("required", True):
            raise
        value = None
    return {"value": value, "text": to_text(value)}


# ---------------------------------------------------------------- math.expression

_VARIABLES = ("a", "b", "c", "d")
_CONSTANTS = {"pi": math.pi, "e": math.e}
MAX_EXPRESSION_LENGTH = 500
MAX_INT_BITS = 1024  # about 1e308, the float range
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


def _round(value: float, digits: float = 0) -> float:
    if not -15 <= digits <= 15 or digits != int(digits):
        raise PermanentNodeError("round: digits must be a whole number from -15 to 15")
    return round(value) if digits == 0 else round(value, int(digits))


def _sqrt(value: float) -> float:
    if value < 0:
        raise PermanentNodeError(f"sqrt of a negative number ({value:g})")
    return math.sqrt(value)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(value, high))


#: name -> (function, smallest and largest argument count)
_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "min": (min, 2, 50),
    "max": (max, 2, 50),
    "abs": (abs, 1, 1),
    "round": (_round, 1, 2),
    "floor": (math.floor, 1, 1),
    "ceil": (math.ceil, 1, 1),
    "sqrt": (_sqrt, 1, 1),
    "clamp": (_clamp, 3, 3),
}

EXPRESSION = NodeSpec(
    type="math.expression",
    category=Category.UTILITY,
    display_name="Math Expression",
    description="Compute a number from the inputs a-d, e.g. round(a / 12) or "
    "max(a, b) * 2. Operators + - * / // % ** and parentheses; functions "
    + ", ".join(_FUNCTIONS)
    + "; constants pi and e.",
    aliases=("calculate", "formula", "arithmetic", "calculator", "compute", "number"),
    inputs=tuple(
        PortSpec(name=v, type=PortType.NUMBER, required=False, description=f"Variable {v}.")
        for v in _VARIABLES
    ),
    outputs=(PortSpec(name="result", type=PortType.NUMBER, description="The result."),),
    params=(
        ParamSpec(
            name="expression",
            kind=ParamKind.STRING,
            label="Expression",
            default="a + b",
            description="Arithmetic on a, b, c, d, e.g. (a + b) / 2.",
        ),
        *(
            ParamSpec(
                name=v,
                kind=ParamKind.NUMBER,
                label=v,
                description=f"Value of {v} when the {v} input is not connected.",
            )
            for v in _VARIABLES
        ),
    ),
)


class _Evaluator:
    """Walks a parsed expression, allowing only arithmetic on known names."""

    def __init__(self, variables: Mapping[str, float | int | None]) -> None:
        self.variables = variables

    def fail(self, node: ast.AST, message: str) -> PermanentNodeError:
        column = getattr(node, "col_offset", -1) + 1
        where = f" at character {column}" if column > 0 else ""
        return PermanentNodeError(f"expression: {message}{where}", details={"column": column})

    def eval(self, node: ast.AST) -> float | int:
        if isinstance(node, ast.Expression):
            return self.eval(node.body)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(node, f"only numbers are allowed, not {value!r}")
            return self.check(node, value)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
            operand = self.eval(node.operand)
            return operand if isinstance(node.op, ast.UAdd) else -operand
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.fail(node, f"{_construct(node)} is not allowed")

    def name(self, node: ast.Name) -> float | int:
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if node.id not in _VARIABLES:
            raise self.fail(node, f"unknown name {node.id!r}; use a, b, c, d, pi or e")
        value = self.variables.get(node.id)
        if value is None:
            raise self.fail(
                node,
                f"{node.id} is used but the {node.id} input has no value; connect it or set it",
            )
        return value

    def binary(self, node: ast.BinOp) -> float | int:
        left, right = self.eval(node.left), self.eval(node.right)
        if isinstance(node.op, ast.Pow):
            self.check_power(node, left, right)
        try:
            result = _BINARY[type(node.op)](left, right)
        except ZeroDivisionError:
            raise self.fail(node, "division by zero") from None
        except OverflowError:
            raise self.fail(node, "the result is too large") from None
        if isinstance(result, complex):
            raise self.fail(node, "a negative number to a fractional power has no real result")
        return self.check(node, result)

    def check_power(self, node: ast.AST, base: float | int, exponent: float | int) -> None:
        if abs(base) <= 1 or exponent <= 0:
            return
        if exponent * math.log2(abs(base)) > MAX_INT_BITS:
            raise self.fail(node, "the result is too large")

    def call(self, node: ast.Call) -> float | int:
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else _construct(node.func)
            raise self.fail(node, f"unknown function {name!r}; available: {', '.join(_FUNCTIONS)}")
        function, low, high = _FUNCTIONS[node.func.id]
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            raise self.fail(node, f"{node.func.id}() takes plain arguments only")
        if not low <= len(node.args) <= high:
            count = str(low) if low == high else f"{low} to {high}"
            raise self.fail(node, f"{node.func.id}() takes {count} arguments")
        args = [self.eval(arg) for arg in node.args]
        return self.check(node, function(*args))

    def check(self, node: ast.AST, value: float | int) -> float | int:
        if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            raise self.fail(node, "the result is too large")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(node, "the result is not a finite number")
        return value


def _construct(node: ast.AST) -> str:
    names = {
        ast.Attribute: "attribute access (.)",
        ast.Subscript: "indexing ([ ])",
        ast.Compare: "comparison",
        ast.BoolOp: "and/or",
        ast.Lambda: "lambda",
        ast.IfExp: "if/else",
    }
    return names.get(type(node), type(node).__name__)


def evaluate(expression: str, variables: Mapping[str, float | int | None]) -> float | int:
    """Evaluate arithmetic safely (no ``eval``); mistakes raise :class:`PermanentNodeError`."""
    text = expression.strip()
    if not text:
        raise PermanentNodeError("expression: empty; write something like a + b")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise PermanentNodeError(
            f"expression: {len(text)} characters is too long (limit {MAX_EXPRESSION_LENGTH})"
        )
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        column = exc.offset or 0
        raise PermanentNodeError(
            f"expression: syntax error at character {column}: {exc.msg}",
            details={"column": column},
        ) from None
    except (RecursionError, MemoryError):
        raise PermanentNodeError("expression: too deeply nested") from None
    except ValueError as exc:  # e.g. a NUL character
        raise PermanentNodeError(f"expression: {exc}") from None
    try:
        return _Evaluator(variables).eval(tree)
    except RecursionError:
        raise PermanentNodeError("expression: too deeply nested") from None


def _variable(ctx: NodeContext, inputs: Mapping[str, Any], name: str) -> float | int | None:
    value = port_or_param(ctx, inputs, name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        return parse_number(value, what=f"input {name}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PermanentNodeError(f"input {name}: expected a number, got {type_name(value)}")
    return value


def run_expression(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Evaluate the expression over a-d."""
    variables = {name: _variable(ctx, inputs, name) for name in _VARIABLES}
    return {"result": evaluate(to_text(ctx.params.get("expression")), variables)}


# ---------------------------------------------------------------- list.join / list.pick

JOIN = NodeSpec(
    type="list.join",
    category=Category.UTILITY,
    display_name="Join List",
    description="Join a list of texts into one text with a separator (the inverse of Split Lines).",
    aliases=("combine list", "implode", "concatenate list", "gather", "collect"),
    inputs=(PortSpec(name="items", type=PortType.TEXT, is_list=True, description="The texts."),),
    outputs=(PortSpec(name="text", type=PortType.TEXT, description="The joined text."),),
    params=(
        ParamSpec(
            name="separator",
            kind=ParamKind.STRING,
            label="Separator",
            default="\\n",
            description="Put between items; \\n is a line break, \\t a tab.",
        ),
        ParamSpec(
            name="skip_empty",
            kind=ParamKind.BOOLEAN,
            label="Skip empty items",
            default=False,
            description="Leave out empty texts.",
        ),
    ),
)


def run_join(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Join the items."""
    items = [to_text(item) for item in as_items(inputs.get("items"))]
    if ctx.params.get("skip_empty"):
        items = [item for item in items if item]
    return {"text": unescape(to_text(ctx.params.get("separator"))).join(items)}


def _pick_spec(node_type: str, port_type: PortType, title: str, what: str) -> NodeSpec:
    return NodeSpec(
        type=node_type,
        category=Category.UTILITY,
        display_name=title,
        description=f"Take one {what} out of a list by position: 0 is the first, -1 the last.",
        aliases=("index", "select item", "choose", "nth", "first", "last"),
        inputs=(PortSpec(name="items", type=port_type, is_list=True, description=f"The {what}s."),),
        outputs=(PortSpec(name="item", type=port_type, description=f"The chosen {what}."),),
        params=(
            ParamSpec(
                name="index",
                kind=ParamKind.INTEGER,
                label="Index",
                default=0,
                minimum=-1000,
                maximum=1000,
                description="Position in the list, from 0; negative counts from the end.",
            ),
        ),
    )


PICK = _pick_spec("list.pick", PortType.TEXT, "Pick from List", "text")
PICK_IMAGE = _pick_spec("list.pick_image", PortType.IMAGE, "Pick Image from List", "image")


def run_pick(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Return the item at ``index``."""
    items = as_items(inputs.get("items"))
    index = int(ctx.params.get("index", 0))
    if not items:
        raise PermanentNodeError("the list is empty; there is nothing to pick")
    if not -len(items) <= index < len(items):
        raise PermanentNodeError(
            f"index {index} is out of range: the list has {len(items)} items, so use "
            f"0 to {len(items) - 1} (or -1 to -{len(items)} from the end)"
        )
    return {"item": items[index]}


def register(catalog: Catalog) -> None:
    """Register the data nodes."""
    catalog.register(EXTRACT, run_extract)
    catalog.register(EXPRESSION, run_expression)
    catalog.register(JOIN, run_join)
    catalog.register(PICK, run_pick)
    catalog.register(PICK_IMAGE, run_pick)
