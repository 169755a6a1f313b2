"""engine.media: ffmpeg probing, WAV audio helpers and frame encoding."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from engine.errors import PermanentNodeError
from engine.media import audio as pcm
from engine.media.ffmpeg import run_ffmpeg, run_ffmpeg_async
from engine.media.probe import AudioStream, VideoStream, parse_ffmpeg_info, probe
from engine.media.video import encode_frames, even

FFMPEG_MP4 = """\
Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 't.mp4':
  Metadata:
    major_brand     : isom
    encoder         : Lavf63.1.102
  Duration: 00:01:02.50, start: 0.000000, bitrate: 161 kb/s
  Stream #0:0[0x1](und): Video: h264 (Constrained Baseline) (avc1 / 0x31637661), \
yuv420p(progressive), 160x90 [SAR 1:1 DAR 16:9], 80 kb/s, 23.98 fps, 24 tbr, 12288 tbn (default)
    Metadata:
      handler_name    : VideoHandler
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 69 kb/s
At least one output file must be specified
"""


def test_parse_reads_duration_size_rate_and_audio_layout() -> None:
    info = parse_ffmpeg_info(FFMPEG_MP4)
    assert info.duration_s == pytest.approx(62.5)
    assert info.video == (VideoStream("h264", 160, 90, 23.98),)
    assert info.audio == (AudioStream("aac", 44100, 2),)
    assert info.has_video and info.has_audio


def test_parse_handles_audio_only_images_and_unknown_duration() -> None:
    wav = parse_ffmpeg_info(
        "Input #0, wav, from 'a.wav':\n  Duration: 00:00:01.25, bitrate: 705 kb/s\n"
        "  Stream #0:0: Audio: pcm_s16le ([1][0][0][0] / 0x0001), 44100 Hz, mono, s16, 705 kb/s\n"
    )
    assert wav.duration_s == pytest.approx(1.25) and not wav.has_video
    assert wav.audio[0].channels == 1
    png = parse_ffmpeg_info(
        "Input #0, png_pipe, from 'x.png':\n  Duration: N/A, bitrate: N/A\n"
        "  Stream #0:0: Video: png, rgb24(pc), 320x240, 25 tbr, 25 tbn\n"
    )
    assert png.duration_s is None and png.video == (VideoStream("png", 320, 240, 25.0),)
    assert parse_ffmpeg_info("5.1 layout: Audio: aac, 48000 Hz, 5.1, fltp").audio == ()


def test_probe_reads_a_real_clip_made_by_ffmpeg(tmp_path: Path) -> None:
    clip = tmp_path / "bars.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x90:rate=12",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=22050",
            "-t",
            "1.5",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            "-shortest",
            str(clip),
        ]
    )
    info = probe(clip)
    assert info.duration_s == pytest.approx(1.5, abs=0.1)
    assert (info.video[0].width, info.video[0].height, info.video[0].fps) == (160, 90, 12.0)
    assert info.audio[0].sample_rate == 22050


def test_probe_refuses_what_is_not_media(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(PermanentNodeError, match="not a media file"):
        probe(text)
    with pytest.raises(PermanentNodeError, match="file not found"):
        probe(tmp_path / "missing.mp4")


def test_ffmpeg_failures_carry_ffmpeg_s_message(tmp_path: Path) -> None:
    with pytest.raises(PermanentNodeError, match=r"ffmpeg failed: .*No such file"):
        run_ffmpeg(["-i", str(tmp_path / "nope.wav"), str(tmp_path / "out.wav")])


async def test_async_ffmpeg_runs_and_times_out(tmp_path: Path) -> None:
    out = await run_ffmpeg_async(
        ["-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "0.1", "-f", "wav", "pipe:1"]
    )
    assert out[:4] == b"RIFF"
    with pytest.raises(PermanentNodeError, match="longer than"):
        await run_ffmpeg_async(
            ["-re", "-f", "lavfi", "-i", "anullsrc", "-t", "30", "-f", "null", "-"],
            timeout_s=0.3,
        )


def test_wav_round_trip_keeps_samples_rate_and_channels() -> None:
    samples = np.linspace(-0.5, 0.5, 2000, dtype=np.float32).reshape(1000, 2)
    clip = pcm.AudioClip(samples, 16000)
    back = pcm.decode_wav(pcm.encode_wav(clip))
    assert (back.sample_rate, back.channels, back.frames) == (16000, 2, 1000)
    assert np.allclose(back.samples, samples, atol=1 / 16000)


def test_other_wav_widths_and_mp3_are_decoded(tmp_path: Path) -> None:
    eight = tmp_path / "eight.wav"
    with wave.open(str(eight), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(bytes([128, 255, 0, 128]))
    clip = pcm.load_audio(eight)
    assert clip.samples[:, 0].tolist() == pytest.approx([0.0, 127 / 128, -1.0, 0.0])
    mp3 = tmp_path / "tone.mp3"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=300:sample_rate=22050", "-t", "1", str(mp3)])
    decoded = pcm.load_audio(mp3)
    assert decoded.sample_rate == 22050
    assert decoded.duration_s == pytest.approx(1.0, abs=0.1)
    assert pcm.peak(decoded) > 0.05


def test_resample_and_channels_conform_clips() -> None:
    mono = pcm.tone(0.5, sample_rate=8000)
    stereo = pcm.AudioClip(np.zeros((4000, 2), np.float32), 16000)
    a, b = pcm.conform([mono, stereo])
    assert (a.sample_rate, a.channels, b.sample_rate, b.channels) == (16000, 2, 16000, 2)
    assert a.frames == 8000 and a.duration_s == pytest.approx(0.5)


def test_levels_and_gain_helpers() -> None:
    clip = pcm.tone(0.2, level=0.5, fade_s=0)
    assert pcm.peak(clip) == pytest.approx(0.5, abs=1e-3)
    assert pcm.rms(clip) == pytest.approx(0.5 / np.sqrt(2), abs=1e-3)
    assert pcm.to_db(pcm.from_db(-6.0)) == pytest.approx(-6.0)
    assert pcm.to_db(0.0) == -np.inf
    with pytest.raises(PermanentNodeError, match="limit"):
        pcm.silence(pcm.MAX_SECONDS + 10)


def test_encode_frames_writes_an_h264_clip_of_the_right_length(tmp_path: Path) -> None:
    frame = np.full((90, 160, 3), 200, dtype=np.uint8)
    target = tmp_path / "grey.mp4"
    encode_frames(iter([frame] * 12), width=160, height=90, fps=12, target=target)
    info = probe(target)
    assert info.duration_s == pytest.approx(1.0, abs=0.05)
    assert info.video[0].codec == "h264" and not info.has_audio
    assert (even(161), even(1), even(90.4)) == (162, 2, 90)
