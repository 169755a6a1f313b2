"""Credit estimates: what a run will cost, node by node, before anything runs.

Each node type's :class:`engine.catalog.Pricing` turns the node's resolved
parameters into credits for one run of the node. The estimate counts every node
in the run's scope once, ignoring the cache, so it is an upper bound for nodes that
run once; a node fanned out over a batch is charged per item, which the estimate
cannot know before the run (the executor still refuses to start an item that
would overspend the budget). In preview mode hosted nodes (``provider != "local"``)
keep their real estimate, flagged ``preview``, but are not counted in ``total``:
nothing is charged for them.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pydantic import BaseModel, ConfigDict

from engine.catalog.registry import Catalog
from engine.workflow import Workflow


class NodeCredit(BaseModel):
    """One node's line of an estimate."""

    model_config = ConfigDict(frozen=True)

    node_id: str
    node_label: str
    type: str
    credits: float
    preview: bool = False

    def to_json(self) -> dict[str, Any]:
        """The API's breakdown entry: ``{nodeId, nodeLabel, type, credits, preview}``."""
        return {
            "nodeId": self.node_id,
            "nodeLabel": self.node_label,
            "type": self.type,
            "credits": self.credits,
            "preview": self.preview,
        }


class CreditEstimate(BaseModel):
    """The credits a run is expected to charge, with a per-node breakdown."""

    model_config = ConfigDict(frozen=True)

    total: float
    nodes: tuple[NodeCredit, ...] = ()

    def covered_by(self, available: float) -> bool:
        """Whether ``available`` credits pay for the run."""
        return self.total <= available + 1e-9

    def to_json(self) -> dict[str, Any]:
        """``{total, breakdown: [...]}`` as the API and ``--json`` emit it."""
        return {"total": self.total, "breakdown": [n.to_json() for n in self.nodes]}


def estimate_credits(
    workflow: Workflow,
    catalog: Catalog,
    *,
    preview: bool = False,
    node_ids: Collection[str] | None = None,
) -> CreditEstimate:
    """Estimate the credits of running ``workflow`` (or only the nodes in ``node_ids``).

    Raises :class:`engine.errors.UnknownNodeTypeError` for a type not in ``catalog``.
    """
    lines: list[NodeCredit] = []
    total = 0.0
    for node in workflow.nodes:
        if node_ids is not None and node.id not in node_ids:
            continue
        spec = catalog.spec(node.type)
        credits = spec.pricing.estimate(spec.resolved_params(node.data))
        uncharged = preview and spec.provider != "local"
        lines.append(
            NodeCredit(
                node_id=node.id,
                node_label=node.label or spec.display_name,
                type=node.type,
                credits=credits,
                preview=uncharged,
            )
        )
        if not uncharged:
            total += credits
    return CreditEstimate(total=round(total, 6), nodes=tuple(lines))
