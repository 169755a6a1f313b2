"""The node inspector shows a node's run: state, timing, credits, error and outputs."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QFontInfo, QImage, QWheelEvent
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from engine.executor.events import NodeState
from tests.widgets.run_samples import CLIP, HERO, VARIANTS, failed_node, images, sample_record
from widgets.run.inspector import BatchViewer, NodeInspector
from widgets.run.viewers import ImageViewer, JsonViewer, MediaInfoViewer, TextViewer


def make(qtbot: QtBot) -> NodeInspector:
    inspector = NodeInspector()
    qtbot.addWidget(inspector)
    inspector.resize(520, 640)
    inspector.show()
    return inspector


def test_completed_image_node_shows_the_picture_and_save_reports_the_artifact(
    qtbot: QtBot,
) -> None:
    inspector = make(qtbot)
    inspector.set_node(sample_record().node("shot"), images().get)
    assert inspector.state_text() == "Completed"
    assert inspector.fact("Duration") == "4.0 s"
    assert inspector.fact("Credits") == "5 credits · preview — not charged"
    viewer = inspector.viewers()["image"]
    assert isinstance(viewer, ImageViewer)
    assert viewer.has_image
    with qtbot.waitSignal(inspector.save_requested) as blocker:
        qtbot.mouseClick(viewer.save_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [HERO.id, "shot-image.png"]


def test_image_zooms_to_actual_size_with_the_wheel_and_back_to_fit(qtbot: QtBot) -> None:
    inspector = make(qtbot)
    inspector.set_node(sample_record().node("shot"), images().get)
    viewer = inspector.viewers()["image"]
    assert isinstance(viewer, ImageViewer)
    fitted = viewer.view.zoom()
    assert fitted < 1.0  # 640 px wide image in a narrower view
    qtbot.mouseClick(viewer.actual_button, Qt.MouseButton.LeftButton)
    assert viewer.view.zoom() == 1.0
    assert viewer.zoom_label.text() == "100 %"
    assert viewer.actual_button.isChecked() and not viewer.fit_button.isChecked()
    wheel = QWheelEvent(
        QPointF(50, 50),
        QPointF(50, 50),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    viewer.view.wheelEvent(wheel)
    assert viewer.view.zoom() == 1.25
    assert not viewer.actual_button.isChecked()
    qtbot.mouseClick(viewer.fit_button, Qt.MouseButton.LeftButton)
    assert viewer.view.zoom() == fitted
    assert viewer.fit_button.isChecked()


def test_missing_picture_says_so_instead_of_a_blank_view(qtbot: QtBot) -> None:
    inspector = make(qtbot)
    inspector.set_node(sample_record().node("shot"), lambda _id: None)
    viewer = inspector.viewers()["image"]
    assert isinstance(viewer, ImageViewer)
    assert not viewer.has_image


def test_failed_node_shows_error_kind_message_and_details(qtbot: QtBot) -> None:
    inspector = make(qtbot)
    inspector.set_node(failed_node())
    assert inspector.state_text() == "Failed"
    assert inspector.error_text() == (
        "transient: fal returned 503 Service Unavailable after 3 attempts"
    )
    assert '"status": 503' in inspector.error_details_text()
    assert inspector.fact("Attempts") == "3 (2 retries)"
    assert inspector.viewers() == {}


def test_text_and_json_outputs_show(qtbot: QtBot) -> None:
    inspector = make(qtbot)
    record = sample_record()
    inspector.set_node(record.node("caption"))
    text = inspector.viewers()["text"]
    assert isinstance(text, TextViewer)
    assert text.text().startswith("A red canvas sneaker")
    assert text.editor.isReadOnly()
    assert not QFontInfo(text.editor.font()).fixedPitch()
    text.monospace.setChecked(True)
    assert QFontInfo(text.editor.font()).fixedPitch()

    inspector.set_node(record.node("meta"))
    tree = inspector.viewers()["json"]
    assert isinstance(tree, JsonViewer)
    keys = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]  # type: ignore[union-attr]
    assert keys == ["title", "tags", "size"]
    tags = tree.topLevelItem(1)
    assert tags is not None and tags.text(1) == "[…] 2 items" and tags.childCount() == 2
    assert tags.child(0).text(1) == '"shoe"'


def test_video_offers_the_system_player_and_shows_its_facts(qtbot: QtBot) -> None:
    inspector = make(qtbot)
    inspector.set_node(sample_record().node("clip"))
    media = inspector.viewers()["video"]
    assert isinstance(media, MediaInfoViewer)
    with qtbot.waitSignal(inspector.open_requested) as blocker:
        qtbot.mouseClick(media.open_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [CLIP.id]
    labels = {w.text() for w in media.findChildren(QLabel)}
    assert {"5.0 s", "h264", "1280 \N{MULTIPLICATION SIGN} 720", "2.3 MB"} <= labels
    assert media.findChild(QLabel, "mediaPoster") is None
    poster = images()[HERO.id]
    inspector.set_node(sample_record().node("clip"), {CLIP.id: poster}.get)
    assert inspector.viewers()["video"].findChild(QLabel, "mediaPoster") is not None


def test_batch_shows_every_item_with_thumbnails(qtbot: QtBot) -> None:
    inspector = make(qtbot)
    inspector.set_node(sample_record().node("variants"), images().get)
    assert inspector.fact("Items") == "3 (3 completed)"
    batch = inspector.viewers()["image"]
    assert isinstance(batch, BatchViewer)
    assert batch.count() == 3
    assert not batch.strip.item(0).icon().isNull()
    batch.strip.setCurrentRow(2)
    shown = batch.detail.currentWidget()
    assert isinstance(shown, ImageViewer) and shown.artifact == VARIANTS[2]


def test_inputs_get_their_own_tabs_and_nothing_selected_shows_a_hint(qtbot: QtBot) -> None:
    inspector = make(qtbot)
    inspector.set_node(sample_record().node("shot"), images().get, inputs={"prompt": "a sneaker"})
    prompt = inspector.viewers()["input:prompt"]
    assert isinstance(prompt, TextViewer) and prompt.text() == "a sneaker"
    inspector.set_node(None)
    assert inspector.node() is None
    assert inspector.viewers() == {}


def test_cached_and_pending_nodes_read_sensibly(qtbot: QtBot) -> None:
    inspector = make(qtbot)
    record = sample_record()
    inspector.set_node(record.node("voice"))
    assert inspector.state_text() == "Cached"
    assert inspector.fact("Credits") == "Free — reused from cache"
    pending = record.node("mux").model_copy(
        update={
            "status": NodeState.PENDING,
            "started_at": None,
            "finished_at": None,
            "duration_ms": None,
            "outputs": None,
            "attempts": 0,
        }
    )
    inspector.set_node(pending)
    assert inspector.fact("Started") == "—"
    assert inspector.fact("Credits") == "—"


def test_resolver_is_asked_for_pictures_and_video_posters_only(qtbot: QtBot) -> None:
    asked: list[str] = []

    def resolve(artifact_id: str) -> QImage | None:
        asked.append(artifact_id)
        return None

    inspector = make(qtbot)
    for node_id in ("caption", "clip", "meta", "shot"):
        inspector.set_node(sample_record().node(node_id), resolve)
    assert asked == [CLIP.id, HERO.id]  # a video may get a poster frame


def test_a_newer_record_of_the_same_node_keeps_the_viewer_and_its_zoom(qtbot: QtBot) -> None:
    inspector = make(qtbot)
    shot = sample_record().node("shot")
    running = shot.model_copy(
        update={
            "status": NodeState.RUNNING,
            "finished_at": None,
            "duration_ms": None,
            "progress": 0.4,
        }
    )
    resolve = images().get  # the same resolver each time, as the app passes it
    inspector.set_node(running, resolve)
    assert inspector.fact("Duration") == "running · 40 %"
    viewer = inspector.viewers()["image"]
    assert isinstance(viewer, ImageViewer)
    viewer.view.actual_size()
    inspector.set_node(shot, resolve)  # finished, same outputs
    assert inspector.state_text() == "Completed"
    assert inspector.fact("Duration") == "4.0 s"
    assert inspector.viewers()["image"] is viewer
    assert viewer.view.zoom() == 1.0
    inspector.set_node(sample_record().node("caption"))
    assert isinstance(inspector.viewers()["text"], TextViewer)
    with qtbot.waitSignal(viewer.destroyed, timeout=1000):
        pass  # the old viewer is deleted, not leaked


def test_huge_json_is_shown_in_part(qtbot: QtBot) -> None:
    inspector = make(qtbot)
    big = sample_record().node("meta").model_copy(update={"outputs": {"json": list(range(2000))}})
    inspector.set_node(big)
    tree = inspector.viewers()["json"]
    assert isinstance(tree, JsonViewer)
    assert tree.topLevelItemCount() == 501
    last = tree.topLevelItem(500)
    assert last is not None and last.text(1) == "1,500 more not shown"
