"""The bundled example workflows: well-formed, tidy, and they really produce images.

The examples are run here by a minimal stand-in for the executor (topological
order, batch fan-out, list gathering) so these tests exercise the nodes and the
example files only; the real executor has its own tests.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from engine.artifacts import ArtifactStore
from engine.catalog import default_catalog, ports_compatible
from engine.nodes.base import NodeContext
from engine.validation import validate
from engine.values import Artifact, Batch
from engine.workflow import Node, Workflow, load_workflow
from tests.conftest import EXAMPLES_DIR

EXAMPLES = sorted(EXAMPLES_DIR.glob("*.patchbay.json"))
ASSETS = EXAMPLES_DIR / "assets"


def run_example(
    path: Path, out_dir: Path, run_inputs: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """Run every node of the workflow at ``path`` in dependency order."""
    workflow = load_workflow(path).workflow
    catalog = default_catalog()
    store = ArtifactStore(out_dir / "artifacts")
    outputs: dict[str, dict[str, Any]] = {}
    pending = list(workflow.nodes)
    while pending:
        node = next(
            n
            for n in pending
            if all(e.source in outputs for e in workflow.edges if e.target == n.id)
        )
        pending.remove(node)
        spec = catalog.spec(node.type)
        inputs = {p.name: node.data[p.name] for p in spec.inputs if p.name in node.data}
        for edge in (e for e in workflow.edges if e.target == node.id):
            value = outputs[edge.source][edge.source_handle]
            port = spec.input(edge.target_handle)
            assert port is not None
            if port.is_list:
                value = list(value.items) if isinstance(value, Batch) else [value]
            inputs[edge.target_handle] = value
        batches = {
            k: v
            for k, v in inputs.items()
            if isinstance(v, Batch) and not spec.input(k).is_list  # type: ignore[union-attr]
        }

        def call(item: int | None, values: dict[str, Any], node: Node = node) -> dict[str, Any]:
            context = NodeContext(
                node_id=node.id,
                node_type=node.type,
                params=catalog.spec(node.type).resolved_params(node.data),
                artifacts=store,
                base_dir=path.parent,
                output_dir=out_dir,
                run_inputs=run_inputs or {},
                item_index=item,
            )
            result = catalog.entry(node.type).implementation(context, values)
            assert isinstance(result, Mapping)
            return dict(result)

        if batches:
            count = len(next(iter(batches.values())))
            results = [
                call(i, {**inputs, **{k: b.items[i] for k, b in batches.items()}})
                for i in range(count)
            ]
            outputs[node.id] = {k: Batch(tuple(r[k] for r in results)) for k in results[0]}
        else:
            outputs[node.id] = call(None, inputs)
    return outputs


def test_there_are_at_least_two_examples_shipped_as_package_data() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"contact-sheet.patchbay.json", "poster.patchbay.json"} <= names
    packaged = importlib.resources.files("resources") / "examples"
    assert all((packaged / name).is_file() for name in names)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_valid_with_the_shipped_catalog(path: Path) -> None:
    loaded = load_workflow(path)
    assert loaded.migrated_from is None
    workflow = loaded.workflow
    catalog = default_catalog()
    assert workflow.name and workflow.description
    for node in workflow.nodes:
        assert node.type in catalog, f"{node.id}: unknown type {node.type}"
        assert node.label, f"{node.id} has no label"
    for edge in workflow.edges:
        source = catalog.spec(workflow.node(edge.source).type).output(edge.source_handle)
        target = catalog.spec(workflow.node(edge.target).type).input(edge.target_handle)
        assert source is not None and target is not None, edge.id
        assert ports_compatible(source.type, target.type), edge.id
    assert validate(workflow, catalog) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_layout_reads_left_to_right(path: Path) -> None:
    workflow: Workflow = load_workflow(path).workflow
    for edge in workflow.edges:
        source, target = workflow.node(edge.source), workflow.node(edge.target)
        assert target.position.x - source.position.x >= 250, edge.id
    spots = [(n.position.x, n.position.y) for n in workflow.nodes]
    for i, (x1, y1) in enumerate(spots):
        for x2, y2 in spots[i + 1 :]:
            assert abs(x1 - x2) >= 250 or abs(y1 - y2) >= 100, "nodes overlap"


def test_bundled_assets_are_small_pictures() -> None:
    pictures = sorted(ASSETS.glob("*.png"))
    assert 4 <= len(pictures) <= 6
    for picture in pictures:
        assert picture.stat().st_size < 30_000
        with Image.open(picture) as image:
            assert image.size == (320, 240)


def test_contact_sheet_example_makes_a_captioned_grid(tmp_path: Path) -> None:
    outputs = run_example(EXAMPLES_DIR / "contact-sheet.patchbay.json", tmp_path)
    assert len(outputs["load"]["image"]) == len(outputs["split"]["lines"]) == 6
    saved = Path(outputs["save"]["path"])
    assert saved.parent == tmp_path and saved.name == "contact-sheet.png"
    with Image.open(saved) as sheet:
        grid_w, grid_h = 2 * 24 + 3 * 320 + 2 * 12, 2 * 24 + 2 * 240 + 12
        assert sheet.width == grid_w and sheet.height > grid_h  # plus the title band
    assert outputs["sheet"]["image"] == outputs["heading"]["image"]
    labelled = [a for a in outputs["label"]["image"].items if isinstance(a, Artifact)]
    loaded = outputs["load"]["image"].items
    assert [a.id for a in labelled] != [a.id for a in loaded], "each picture got a caption"


def test_poster_example_sizes_follow_the_width_input(tmp_path: Path) -> None:
    outputs = run_example(EXAMPLES_DIR / "poster.patchbay.json", tmp_path)
    assert outputs["font"]["result"] == round(960 / 14)
    assert outputs["poster"]["image"].metadata == {"width": 960, "height": 1200}
    assert Path(outputs["save"]["path"]).is_file()

    narrow = run_example(EXAMPLES_DIR / "poster.patchbay.json", tmp_path, {"width": "640"})
    assert narrow["poster"]["image"].metadata == {"width": 640, "height": 800}
    assert narrow["headline"]["text"] == "Small Orbits\nAn offline Patchbay example"
