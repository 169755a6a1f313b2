"""Audio and video playback in the inspector: real MP4 and WAV files made by the engine.

Playback needs QtMultimedia with a working backend; where this process has none
(the module cannot load, no plugin) the player tests are skipped and the
fallback tests below still run, with the backend check forced to fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

import widgets.run.player as player_module
from engine.executor.record import NodeRecord
from tests.widgets.media_samples import CLIP_SECONDS, MediaFiles, make_media
from widgets.run.inspector import NodeInspector
from widgets.run.player import MediaPlayerView, playback_problem
from widgets.run.viewers import MediaInfoViewer


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> MediaFiles:
    return make_media(tmp_path_factory.mktemp("media"))


@pytest.fixture
def playable(qapp: object) -> None:
    problem = playback_problem()
    if problem is not None:
        pytest.skip(f"no playback in this process: {problem}")


@pytest.fixture
def no_backend(monkeypatch: pytest.MonkeyPatch) -> str:
    reason = "no Qt Multimedia backend is available"
    monkeypatch.setattr(player_module, "_problem", reason)
    return reason


def _url(media: MediaFiles, which: str) -> QUrl:
    artifact = media.clip if which == "clip" else media.voice
    return QUrl.fromLocalFile(str(media.path(artifact)))


def _node(media: MediaFiles, node_id: str) -> NodeRecord:
    return media.record.node(node_id)


def _inspector(qtbot: QtBot) -> NodeInspector:
    inspector = NodeInspector()
    qtbot.addWidget(inspector)
    inspector.resize(520, 640)
    inspector.show()
    return inspector


@pytest.mark.usefixtures("playable")
def test_a_clip_made_by_the_engine_loads_and_reports_its_duration(
    qtbot: QtBot, media: MediaFiles
) -> None:
    view = MediaPlayerView(_url(media, "clip"), video=True)
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.duration_changed, timeout=10_000) as blocker:
        pass
    assert blocker.args == [pytest.approx(CLIP_SECONDS * 1000, abs=80)]
    assert view.available and view.problem() == ""
    assert view.video_widget is not None
    assert view.duration_ms() == blocker.args[0]
    assert view.time_text() == "0:00 / 0:01"
    assert view.position_slider.maximum() == view.duration_ms()
    surface = view.video_widget
    assert surface is not None
    qtbot.waitUntil(lambda: surface.frames > 0, timeout=10_000)  # the first frame, before Play
    assert not view.is_playing()
    assert (surface.image().width(), surface.image().height()) == (320, 180)
    shown = surface.frames
    view.play()
    qtbot.waitUntil(lambda: surface.frames > shown, timeout=10_000)  # playing: new frames
    picture = view.grab().toImage()  # painted by the widget: grabs and screenshots see it
    centre = picture.pixelColor(surface.geometry().center())
    assert centre.value() > 20


@pytest.mark.usefixtures("playable")
def test_a_sound_plays_pauses_and_takes_volume_and_mute(qtbot: QtBot, media: MediaFiles) -> None:
    view = MediaPlayerView(_url(media, "voice"), video=False)
    qtbot.addWidget(view)
    view.show()
    expected = media.voice.metadata["duration_s"] * 1000
    with qtbot.waitSignal(view.duration_changed, timeout=10_000) as blocker:
        pass
    assert blocker.args == [pytest.approx(expected, abs=80)]
    assert view.video_widget is None
    view.play()
    qtbot.waitUntil(view.is_playing, timeout=10_000)
    view.pause()
    qtbot.waitUntil(lambda: not view.is_playing(), timeout=10_000)
    view.set_volume(30)
    assert view.audio.volume() == pytest.approx(0.3)
    view.set_muted(True)
    assert view.audio.isMuted() and view.mute_button.toolTip() == "Unmute"


@pytest.mark.usefixtures("playable")
def test_a_file_that_does_not_decode_falls_back_with_its_reason(
    qtbot: QtBot, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video" * 100)
    view = MediaPlayerView(QUrl.fromLocalFile(str(broken)), video=True)
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.unavailable, timeout=10_000):
        pass
    assert not view.available and view.problem()
    note = view.findChild(QLabel, "playbackUnavailable")
    assert note is not None and "Playback unavailable" in note.text()


def test_without_a_backend_the_player_says_so_and_shows_the_poster(
    qtbot: QtBot, media: MediaFiles, no_backend: str
) -> None:
    poster = QImage(64, 36, QImage.Format.Format_RGB32)
    poster.fill(0x336699)
    viewer = MediaInfoViewer(media.clip, "clip-video", poster, source=_url(media, "clip"))
    qtbot.addWidget(viewer)
    viewer.show()
    assert viewer.player is not None and not viewer.player.available
    assert viewer.player.player is None  # QtMultimedia was never touched
    note = viewer.findChild(QLabel, "playbackUnavailable")
    assert note is not None and no_backend in note.text() and "system player" in note.text()
    assert viewer.findChild(QLabel, "mediaPoster") is not None
    with qtbot.waitSignal(viewer.open_requested) as blocker:
        viewer.open_button.click()
    assert blocker.args == [media.clip.id]


def test_the_inspector_hands_video_and_audio_outputs_to_the_player(
    qtbot: QtBot, media: MediaFiles, no_backend: str
) -> None:
    asked: list[str] = []

    def url_of(artifact_id: str) -> QUrl | None:
        asked.append(artifact_id)
        return QUrl.fromLocalFile(str(media.artifacts.path(artifact_id)))

    inspector = _inspector(qtbot)
    inspector.set_node(_node(media, "clip"), media=url_of)
    clip = inspector.viewers()["video"]
    assert isinstance(clip, MediaInfoViewer) and clip.player is not None
    assert clip.player.source() == _url(media, "clip")
    inspector.set_node(_node(media, "voice"), media=url_of)
    voice = inspector.viewers()["audio"]
    assert isinstance(voice, MediaInfoViewer) and voice.player is not None
    assert voice.player.source() == _url(media, "voice")
    inspector.set_node(_node(media, "load"), media=url_of)  # an image: no player
    assert asked == [media.clip.id, media.voice.id]


def test_no_file_on_this_machine_means_no_player(qtbot: QtBot, media: MediaFiles) -> None:
    inspector = _inspector(qtbot)
    inspector.set_node(_node(media, "clip"), media=lambda _id: None)
    viewer = inspector.viewers()["video"]
    assert isinstance(viewer, MediaInfoViewer) and viewer.player is None
    note = viewer.findChild(QLabel, "mediaNote")
    assert note is not None and "not on this machine" in note.text()
