"""engine.media.thumbs: a video's frame as PNG and a sound's waveform, read with ffmpeg."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import PermanentNodeError
from engine.media import audio as pcm
from engine.media.thumbs import audio_waveform, extract_frame_png
from engine.media.video import encode_frames


def _two_colour_clip(path: Path) -> Path:
    """One second of red, then one second of blue, 64x36 at 10 fps."""
    red = np.zeros((36, 64, 3), dtype=np.uint8)
    red[..., 0] = 220
    blue = np.zeros((36, 64, 3), dtype=np.uint8)
    blue[..., 2] = 220
    encode_frames([red] * 10 + [blue] * 10, width=64, height=36, fps=10, target=path)
    return path


def _colour(png: bytes) -> tuple[int, int, int]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    r, g, b = image.getpixel((image.width // 2, image.height // 2))  # type: ignore[misc]
    return int(r), int(g), int(b)


def test_the_first_frame_comes_back_as_png_of_the_video_size(tmp_path: Path) -> None:
    clip = _two_colour_clip(tmp_path / "clip.mp4")
    png = extract_frame_png(clip)
    assert Image.open(io.BytesIO(png)).size == (64, 36)
    r, _, b = _colour(png)
    assert r > 150 and b < 80  # red: the first second


def test_a_later_frame_and_a_smaller_height(tmp_path: Path) -> None:
    clip = _two_colour_clip(tmp_path / "clip.mp4")
    png = extract_frame_png(clip, at_s=1.5, max_height=18)
    assert Image.open(io.BytesIO(png)).size == (32, 18)
    r, _, b = _colour(png)
    assert b > 150 and r < 80  # blue: the second second
    # A height above the video's own leaves the frame as it is.
    assert Image.open(io.BytesIO(extract_frame_png(clip, max_height=500))).size == (64, 36)


def test_no_frame_or_no_video_is_a_clear_error(tmp_path: Path) -> None:
    clip = _two_colour_clip(tmp_path / "clip.mp4")
    with pytest.raises(PermanentNodeError, match="no frame at 9 s"):
        extract_frame_png(clip, at_s=9)
    text = tmp_path / "notes.txt"
    text.write_text("not a video")
    with pytest.raises(PermanentNodeError, match=r"notes\.txt"):
        extract_frame_png(text)


def test_the_waveform_follows_the_loudness_of_the_sound(tmp_path: Path) -> None:
    quiet_then_loud = np.concatenate(
        [
            pcm.tone(1.0, level=0.1, sample_rate=16000, fade_s=0).samples,
            pcm.tone(1.0, level=0.8, sample_rate=16000, fade_s=0).samples,
        ]
    )
    path = tmp_path / "tone.wav"
    path.write_bytes(pcm.encode_wav(pcm.AudioClip(quiet_then_loud, 16000)))
    waveform = audio_waveform(path, buckets=10)
    assert waveform.duration_s == pytest.approx(2.0, abs=0.01)
    assert len(waveform.peaks) == len(waveform.rms) == 10
    assert all(p == pytest.approx(0.1, abs=0.02) for p in waveform.peaks[:5])
    assert all(p == pytest.approx(0.8, abs=0.05) for p in waveform.peaks[5:])
    assert all(r < p for r, p in zip(waveform.rms, waveform.peaks, strict=True))
    assert not waveform.silent


def test_silence_and_the_sound_of_a_video(tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    path.write_bytes(pcm.encode_wav(pcm.silence(0.5, 8000)))
    silent = audio_waveform(path, buckets=8)
    assert silent.silent and silent.duration_s == pytest.approx(0.5, abs=0.01)
    clip = _two_colour_clip(tmp_path / "clip.mp4")  # no audio stream
    with pytest.raises(PermanentNodeError, match=r"clip\.mp4"):
        audio_waveform(clip)
