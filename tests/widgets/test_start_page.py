"""The start page widget alone: what it shows and what it says when something is chosen."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from widgets.start_page import THUMB_SIZE, ExampleCard, StartPage


def _picture(color: str) -> QPixmap:
    pixmap = QPixmap(480, 300)
    pixmap.fill(QColor(color))
    return pixmap


def _cards() -> list[ExampleCard]:
    """Three cards (pixmaps need the QApplication, so they are made per test)."""
    return [
        ExampleCard("sheet", "Contact sheet", "Pictures on one sheet.", _picture("#ff0000"), False),
        ExampleCard(
            "video", "Product → video", "A brief becomes a clip.", _picture("#00ff00"), True
        ),
        ExampleCard("bare", "No picture yet", "A card without a thumbnail.", None, False),
    ]


def _page(qtbot: QtBot, width: int = 1300) -> StartPage:
    page = StartPage()
    qtbot.addWidget(page)
    page.resize(width, 800)
    page.set_examples(_cards())
    page.show()
    qtbot.waitExposed(page)
    return page


def _labels(widget: QWidget) -> list[str]:
    return [label.text() for label in widget.findChildren(QLabel)]


def test_cards_show_title_summary_tag_and_picture_in_order(qtbot: QtBot) -> None:
    page = _page(qtbot)
    assert page.example_ids() == ["sheet", "video", "bare"]
    sheet, video = page.example_card("sheet"), page.example_card("video")
    assert {"Contact sheet", "Pictures on one sheet.", "offline"} <= set(_labels(sheet))
    assert {"Product → video", "A brief becomes a clip.", "preview"} <= set(_labels(video))
    thumbnail = sheet.findChild(QLabel, "exampleThumbnail")
    assert thumbnail is not None and thumbnail.size() == THUMB_SIZE
    image = thumbnail.pixmap().toImage()
    middle = image.pixelColor(image.width() // 2, image.height() // 2)
    assert middle == QColor("#ff0000"), "the example's picture fills the card's top"
    bare = page.example_card("bare").findChild(QLabel, "exampleThumbnail")
    assert bare is not None and not bare.pixmap().isNull(), "a stand-in for a missing picture"


def test_cards_flow_into_as_many_columns_as_fit(qtbot: QtBot) -> None:
    def layout(page: StartPage) -> tuple[int, int]:
        cards = [page.example_card(i) for i in page.example_ids()]
        return len({c.x() for c in cards}), len({c.y() for c in cards})

    wide = _page(qtbot, 1300)
    qtbot.waitUntil(lambda: layout(wide) == (3, 1))  # three cards side by side
    narrow = _page(qtbot, 700)
    qtbot.waitUntil(lambda: layout(narrow) == (1, 3))  # one column when only one fits


def test_clicking_or_pressing_enter_on_a_card_chooses_the_example(qtbot: QtBot) -> None:
    page = _page(qtbot)
    with qtbot.waitSignal(page.example_chosen) as chosen:
        qtbot.mouseClick(page.example_card("video"), Qt.MouseButton.LeftButton)
    assert chosen.args == ["video"]
    card = page.example_card("sheet")
    card.setFocus()
    with qtbot.waitSignal(page.example_chosen) as chosen:
        qtbot.keyClick(card, Qt.Key.Key_Return)
    assert chosen.args == ["sheet"]


def test_new_blank_and_open_buttons(qtbot: QtBot) -> None:
    page = _page(qtbot)
    with qtbot.waitSignal(page.new_blank):
        qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(page.open_file):
        qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    assert not page.back_button.isVisible()
    page.set_return_to("poster.patchbay.json")
    assert page.back_button.isVisible() and "poster.patchbay.json" in page.back_button.text()
    with qtbot.waitSignal(page.back):
        qtbot.mouseClick(page.back_button, Qt.MouseButton.LeftButton)


def test_recent_files_are_listed_and_chosen_with_an_empty_state(qtbot: QtBot) -> None:
    page = _page(qtbot)
    assert page.recent_files() == [] and page.recent_empty.isVisible()
    first = Path("/projects/spring/campaign.patchbay.json")
    second = Path("/projects/podcast/episode-12.patchbay.json")
    page.set_recent_files([first, second])
    assert page.recent_files() == [first, second]
    assert not page.recent_empty.isVisible()
    row = page.recent_row(second)
    assert "episode-12" in _labels(row) and "/projects/podcast" in _labels(row)
    assert row.toolTip() == str(second)
    with qtbot.waitSignal(page.recent_chosen) as chosen:
        qtbot.mouseClick(row, Qt.MouseButton.LeftButton)
    assert chosen.args == [second]
    page.set_recent_files([])
    assert page.recent_files() == [] and page.recent_empty.isVisible()


def test_the_examples_can_be_replaced(qtbot: QtBot) -> None:
    page = _page(qtbot)
    page.set_examples(_cards()[:1])
    assert page.example_ids() == ["sheet"]
    qtbot.waitUntil(lambda: len(page.findChildren(QLabel, "exampleTitle")) == 1)
