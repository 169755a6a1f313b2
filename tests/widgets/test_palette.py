"""The node palette: categories, ranked search, keyboard use and dragging."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from engine.catalog.registry import Catalog
from engine.catalog.spec import Category, NodeSpec
from tests.widgets.sample_catalog import large_catalog, sample_catalog
from widgets.node_tree import CATEGORY_ROLE
from widgets.node_types import (
    NODE_TYPE_MIME,
    MatchTier,
    NodeTypeIndex,
    node_type_from_mime,
    node_type_mime_data,
    node_type_tooltip,
)
from widgets.palette import NodePalette


def _noop(context: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    return {}


def _spec(
    type_id: str, name: str, description: str = "", aliases: tuple[str, ...] = ()
) -> NodeSpec:
    return NodeSpec(
        type=type_id,
        category=Category.EDITING,
        display_name=name,
        description=description,
        aliases=aliases,
    )


def _tier_catalog() -> Catalog:
    """One node type per ranking tier for the query "mask", plus one that misses."""
    catalog = Catalog()
    for spec in (
        _spec("editing.cutout", "Cut out", "Cuts a mask out of an image"),
        _spec("editing.matte", "Matte", aliases=("mask",)),
        _spec("editing.mask-feather", "Feather edges"),
        _spec("editing.unmask", "Unmasked copy"),
        _spec("editing.apply", "Apply mask"),
        _spec("editing.from-colour", "Mask from colour"),
        _spec("editing.blur", "Blur", "Softens an image"),
    ):
        catalog.register(spec, _noop)
    return catalog


def _palette(qtbot: QtBot, catalog: Catalog | None = None) -> NodePalette:
    palette = NodePalette(catalog or sample_catalog())
    qtbot.addWidget(palette)
    palette.resize(300, 600)
    palette.show()
    with qtbot.waitActive(palette):
        palette.activateWindow()
    return palette


def test_categories_are_listed_in_catalog_order_with_counts(qtbot: QtBot) -> None:
    palette = _palette(qtbot)
    tree = palette.view
    rows = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    categories = [row.data(0, CATEGORY_ROLE) for row in rows if row is not None]
    assert categories == [c for c in Category if c != Category.THREE_D]
    counts = {row.data(0, CATEGORY_ROLE): row.text(1) for row in rows if row is not None}
    assert counts[Category.EDITING] == "3"
    assert counts[Category.OUTPUT] == "2"
    assert palette.visible_type_ids()[:2] == ["input.image", "input.text"]


def test_search_ranks_name_prefix_name_type_id_alias_then_description(qtbot: QtBot) -> None:
    palette = _palette(qtbot, _tier_catalog())
    palette.set_filter_text("mask")
    assert palette.visible_type_ids() == [
        "editing.from-colour",  # name prefix
        "editing.apply",  # name contains, at a word start
        "editing.unmask",  # name contains, inside a word
        "editing.mask-feather",  # type id
        "editing.matte",  # alias
        "editing.cutout",  # description
    ]


def test_search_tiers_and_fuzzy_and_multi_word_matches() -> None:
    index = NodeTypeIndex(sample_catalog())
    hits = index.search("flx")
    assert [(h.spec.type, h.tier) for h in hits][:1] == [("image.flux-2-pro", MatchTier.FUZZY)]
    hits = index.search("image video")
    assert hits[0].spec.type == "video.kling-2-1-image-to-video"
    assert hits[0].tier == MatchTier.ALL_WORDS
    assert index.search("T2I")[0].spec.type == "image.flux-2-pro"  # alias, any case
    assert index.search("zzzz") == []


def test_search_filters_and_explains_an_empty_result(qtbot: QtBot) -> None:
    palette = _palette(qtbot)
    palette.set_filter_text("kling")
    assert palette.visible_type_ids() == ["video.kling-2-1-image-to-video"]
    palette.set_filter_text("no such node")
    assert palette.visible_type_ids() == []
    message = palette.view.topLevelItem(0)
    assert message is not None and "no such node" in message.text(0)
    palette.set_filter_text("")
    assert len(palette.visible_type_ids()) == 14


def test_down_moves_into_the_list_and_enter_emits_the_type(qtbot: QtBot) -> None:
    palette = _palette(qtbot)
    palette.focus_search()
    qtbot.keyClicks(palette.search_field, "upscale")
    qtbot.keyClick(palette.search_field, Qt.Key.Key_Down)
    assert palette.view.hasFocus()
    assert palette.view.current_type() == "image.upscale"
    with qtbot.waitSignal(palette.node_chosen) as blocker:
        qtbot.keyClick(palette.view, Qt.Key.Key_Return)
    assert blocker.args == ["image.upscale"]


def test_enter_in_the_search_field_picks_the_best_match(qtbot: QtBot) -> None:
    palette = _palette(qtbot)
    palette.focus_search()
    qtbot.keyClicks(palette.search_field, "resize")
    with qtbot.waitSignal(palette.node_chosen) as blocker:
        qtbot.keyClick(palette.search_field, Qt.Key.Key_Enter)
    assert blocker.args == ["image.resize"]


def test_up_from_the_first_row_returns_to_the_search_field(qtbot: QtBot) -> None:
    palette = _palette(qtbot)
    palette.focus_search()
    qtbot.keyClick(palette.search_field, Qt.Key.Key_Down)
    assert palette.view.hasFocus()
    palette.view.setCurrentItem(palette.view.topLevelItem(0))
    qtbot.keyClick(palette.view, Qt.Key.Key_Up)
    assert palette.search_field.hasFocus()


def test_typing_in_the_list_continues_the_search(qtbot: QtBot) -> None:
    palette = _palette(qtbot)
    palette.view.setFocus()
    qtbot.keyClicks(palette.view, "math")
    assert palette.filter_text() == "math"
    assert palette.visible_type_ids() == ["utility.math"]


def test_enter_on_a_category_toggles_it_and_collapsing_survives_a_search(qtbot: QtBot) -> None:
    palette = _palette(qtbot)
    tree = palette.view
    inputs = tree.topLevelItem(0)
    assert inputs is not None
    tree.setCurrentItem(inputs)
    with qtbot.assertNotEmitted(palette.node_chosen):
        qtbot.keyClick(tree, Qt.Key.Key_Return)
    assert "input.text" not in palette.visible_type_ids()
    palette.set_filter_text("text")
    assert "input.text" in palette.visible_type_ids()
    palette.set_filter_text("")
    assert "input.text" not in palette.visible_type_ids()


def test_double_click_emits_the_type(qtbot: QtBot) -> None:
    palette = _palette(qtbot)
    palette.set_filter_text("math")
    item = palette.view.type_items()[0]
    with qtbot.waitSignal(palette.node_chosen) as blocker:
        palette.view.itemDoubleClicked.emit(item, 0)
    assert blocker.args == ["utility.math"]


def test_drag_mime_data_carries_the_type_id(qtbot: QtBot) -> None:
    mime = node_type_mime_data("image.resize")
    assert mime.hasFormat(NODE_TYPE_MIME)
    assert bytes(mime.data(NODE_TYPE_MIME).data()) == b"image.resize"
    assert mime.text() == "image.resize"
    assert node_type_from_mime(mime) == "image.resize"

    palette = _palette(qtbot)
    palette.set_filter_text("resize")
    item = palette.view.type_items()[0]
    assert item.flags() & Qt.ItemFlag.ItemIsDragEnabled
    assert node_type_from_mime(palette.view.mimeData([item])) == "image.resize"
    category = palette.view.topLevelItem(0)
    palette.set_filter_text("")
    category = palette.view.topLevelItem(0)
    assert category is not None and not category.flags() & Qt.ItemFlag.ItemIsDragEnabled


def test_tooltips_describe_the_node_and_list_its_ports(qtbot: QtBot) -> None:
    spec = sample_catalog().spec("image.flux-2-pro")
    tooltip = node_type_tooltip(spec)
    assert "Flux 2 Pro" in tooltip and "image.flux-2-pro" in tooltip
    assert "sharp typography" in tooltip
    assert "Inputs:</b> prompt <i>(text)</i>, image <i>(image, optional)</i>" in tooltip
    assert "Outputs:</b> image" in tooltip
    palette = _palette(qtbot)
    palette.set_filter_text("flux")
    assert palette.view.type_items()[0].toolTip(0) == tooltip


def test_two_hundred_node_types_filter_and_come_back(qtbot: QtBot) -> None:
    palette = _palette(qtbot, large_catalog(200))
    assert len(palette.visible_type_ids()) == 200
    for query in ["g", "ge", "gen", "gene", "generated", "generated image", "node 1", "x"]:
        palette.set_filter_text(query)
        QApplication.processEvents()
    assert len(palette.visible_type_ids()) < 200
    palette.set_filter_text("")
    assert len(palette.visible_type_ids()) == 200


def test_set_catalog_replaces_the_node_types(qtbot: QtBot) -> None:
    palette = _palette(qtbot, _tier_catalog())
    assert "utility.math" not in palette.visible_type_ids()
    palette.set_catalog(sample_catalog())
    assert "utility.math" in palette.visible_type_ids()
