"""The quick-add popup: search, keyboard choice and the compatible-port filter."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from engine.catalog.spec import PortType
from tests.widgets.sample_catalog import sample_catalog
from widgets.node_types import compatible_port
from widgets.quick_add import QuickAddPopup


@pytest.fixture
def popup(qtbot: QtBot) -> QuickAddPopup:
    widget = QuickAddPopup(sample_catalog())
    qtbot.addWidget(widget)
    return widget


def _open(qtbot: QtBot, popup: QuickAddPopup, *args: object, **kwargs: object) -> None:
    popup.popup_at(QPoint(40, 40), *args, **kwargs)  # type: ignore[arg-type]
    qtbot.waitExposed(popup)


def test_opens_with_an_empty_search_listing_every_type(qtbot: QtBot, popup: QuickAddPopup) -> None:
    _open(qtbot, popup)
    assert popup.isVisible()
    assert popup.title() == "Add node"
    assert popup.search_field.text() == ""
    assert len(popup.visible_type_ids()) == 14
    assert popup.view.current_type() == popup.visible_type_ids()[0]


def test_typing_filters_and_enter_emits_the_highlighted_type(
    qtbot: QtBot, popup: QuickAddPopup
) -> None:
    _open(qtbot, popup)
    qtbot.keyClicks(popup.search_field, "templ")
    assert popup.visible_type_ids() == ["text.template"]
    with qtbot.waitSignal(popup.chosen) as blocker:
        qtbot.keyClick(popup.search_field, Qt.Key.Key_Return)
    assert blocker.args == ["text.template"]
    assert not popup.isVisible()


def test_down_moves_the_highlight_while_typing_stays_in_the_search(
    qtbot: QtBot, popup: QuickAddPopup
) -> None:
    _open(qtbot, popup)
    qtbot.keyClicks(popup.search_field, "image")
    first, second = popup.visible_type_ids()[:2]
    qtbot.keyClick(popup.search_field, Qt.Key.Key_Down)
    assert popup.view.current_type() == second
    qtbot.keyClick(popup.search_field, Qt.Key.Key_Up)
    assert popup.view.current_type() == first
    qtbot.keyClick(popup.search_field, Qt.Key.Key_Down)
    with qtbot.waitSignal(popup.chosen) as blocker:
        qtbot.keyClick(popup.search_field, Qt.Key.Key_Enter)
    assert blocker.args == [second]


def test_escape_closes_without_a_choice(qtbot: QtBot, popup: QuickAddPopup) -> None:
    _open(qtbot, popup)
    qtbot.keyClicks(popup.search_field, "flux")
    with qtbot.assertNotEmitted(popup.chosen), qtbot.waitSignal(popup.dismissed):
        qtbot.keyClick(popup.search_field, Qt.Key.Key_Escape)
    assert not popup.isVisible()


def test_double_click_emits_the_type(qtbot: QtBot, popup: QuickAddPopup) -> None:
    _open(qtbot, popup)
    qtbot.keyClicks(popup.search_field, "math")
    item = popup.view.type_items()[0]
    with qtbot.waitSignal(popup.chosen) as blocker:
        popup.view.itemDoubleClicked.emit(item, 0)
    assert blocker.args == ["utility.math"]


def test_reopening_clears_the_previous_search(qtbot: QtBot, popup: QuickAddPopup) -> None:
    _open(qtbot, popup)
    qtbot.keyClicks(popup.search_field, "math")
    qtbot.keyClick(popup.search_field, Qt.Key.Key_Escape)
    _open(qtbot, popup)
    assert popup.search_field.text() == ""
    assert len(popup.visible_type_ids()) == 14


def test_wire_from_a_video_output_offers_only_nodes_with_a_video_input(
    qtbot: QtBot, popup: QuickAddPopup
) -> None:
    _open(qtbot, popup, PortType.VIDEO, wants_input=True)
    assert popup.visible_type_ids() == ["output.video"]
    assert popup.title() == "Add node with an input for video"


def test_wire_from_an_image_input_offers_only_nodes_with_an_image_output(
    qtbot: QtBot, popup: QuickAddPopup
) -> None:
    _open(qtbot, popup, PortType.IMAGE, wants_input=False)
    assert sorted(popup.visible_type_ids()) == [
        "image.caption",
        "image.flux-2-pro",
        "image.resize",
        "image.upscale",
        "input.image",
    ]


def test_compatible_but_different_port_types_are_offered(
    qtbot: QtBot, popup: QuickAddPopup
) -> None:
    # A number output may feed a text input (engine.catalog.spec.ports_compatible).
    _open(qtbot, popup, PortType.NUMBER, wants_input=True)
    offered = set(popup.visible_type_ids())
    assert {"utility.math", "text.template", "text.concat", "audio.tts"} <= offered
    assert "output.image" not in offered and "input.text" not in offered
    qtbot.keyClicks(popup.search_field, "join")
    assert popup.visible_type_ids() == ["text.concat"]


def test_compatible_port_prefers_an_exact_type_match() -> None:
    catalog = sample_catalog()
    template = catalog.spec("text.template")
    port = compatible_port(template, PortType.NUMBER, wants_input=True)
    assert port is not None and port.name == "count"  # not the text input listed first
    concat = catalog.spec("text.concat")
    port = compatible_port(concat, PortType.NUMBER, wants_input=True)
    assert port is not None and port.name == "a"
    assert compatible_port(catalog.spec("output.video"), PortType.IMAGE, wants_input=True) is None
    flux = catalog.spec("image.flux-2-pro")
    port = compatible_port(flux, PortType.MASK, wants_input=False)
    assert port is not None and port.name == "image"
