"""Local audio nodes: lengths, levels and formats of the WAV files they write."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.catalog import default_catalog
from engine.errors import PermanentNodeError
from engine.media import audio as pcm
from engine.media.ffmpeg import run_ffmpeg
from engine.media.store import store_audio
from engine.values import Artifact
from tests.engine.conftest import NodeRunner, assert_local_spec_complete, probe_artifact

AUDIO_TYPES = (
    "audio.concat",
    "audio.mix",
    "audio.trim",
    "audio.normalize",
    "audio.silence",
    "audio.speech_offline",
)


def put(runner: NodeRunner, clip: pcm.AudioClip) -> Artifact:
    return store_audio(runner.artifacts, clip, filename="clip.wav")


def tone(runner: NodeRunner, seconds: float, *, rate: int = 16000, level: float = 0.25) -> Artifact:
    return put(runner, pcm.tone(seconds, sample_rate=rate, level=level, fade_s=0))


def read(runner: NodeRunner, artifact: Artifact) -> pcm.AudioClip:
    assert artifact.media_type == "audio/wav" and artifact.kind.value == "audio"
    return pcm.decode_wav(runner.artifacts.read_bytes(artifact))


@pytest.mark.parametrize("node_type", AUDIO_TYPES)
def test_audio_specs_are_complete_and_free(node_type: str) -> None:
    assert_local_spec_complete(default_catalog().spec(node_type))


def test_silence_has_the_requested_length_rate_and_channels(nodes: NodeRunner) -> None:
    out = nodes.run("audio.silence", {"duration": 1.5, "sample_rate": 16000, "channels": 2})
    clip = read(nodes, out["audio"])
    assert (clip.frames, clip.sample_rate, clip.channels) == (24000, 16000, 2)
    assert pcm.peak(clip) == 0
    assert out["audio"].metadata == {"duration_s": 1.5, "sample_rate": 16000, "channels": 2}
    info = probe_artifact(nodes, out["audio"])
    assert info.duration_s == pytest.approx(1.5) and info.audio[0].codec == "pcm_s16le"


def test_concat_length_is_the_sum_plus_the_pauses(nodes: NodeRunner) -> None:
    parts = [tone(nodes, 0.5), tone(nodes, 1.0, rate=22050), tone(nodes, 0.25)]
    out = nodes.run("audio.concat", {"gap": 0.1}, {"audios": parts})["audio"]
    clip = read(nodes, out)
    assert clip.sample_rate == 22050, "the highest rate wins"
    assert clip.duration_s == pytest.approx(0.5 + 1.0 + 0.25 + 2 * 0.1, abs=0.002)
    gap = clip.samples[round(0.52 * 22050) : round(0.58 * 22050)]
    assert np.max(np.abs(gap)) == 0


def test_concat_decodes_mp3_inputs(nodes: NodeRunner) -> None:
    mp3 = nodes.base_dir / "voice.mp3"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=200:sample_rate=24000", "-t", "1", str(mp3)])
    out = nodes.run("audio.concat", {}, {"audios": ["voice.mp3", tone(nodes, 0.5)]})["audio"]
    assert read(nodes, out).duration_s == pytest.approx(1.5, abs=0.08)


def test_concat_without_sounds_is_an_error(nodes: NodeRunner) -> None:
    with pytest.raises(PermanentNodeError, match="no sounds"):
        nodes.run("audio.concat", {}, {"audios": []})


def test_mix_adds_sounds_with_gains_and_lengths(nodes: NodeRunner) -> None:
    a, b = tone(nodes, 1.0, level=0.2), tone(nodes, 0.5, level=0.2)
    both = read(nodes, nodes.run("audio.mix", {}, {"a": a, "b": b})["audio"])
    assert both.duration_s == pytest.approx(1.0)
    assert pcm.peak(both) == pytest.approx(0.4, abs=0.01), "same-phase tones add up"
    quiet_b = read(nodes, nodes.run("audio.mix", {"gain_b": -60.0}, {"a": a, "b": b})["audio"])
    assert pcm.peak(quiet_b) == pytest.approx(0.2, abs=0.01)
    short = nodes.run("audio.mix", {"length": "shortest"}, {"a": a, "b": b})["audio"]
    assert read(nodes, short).duration_s == pytest.approx(0.5)
    more = nodes.run("audio.mix", {"gain_more": -6.0}, {"a": b, "more": [a, a]})["audio"]
    assert read(nodes, more).duration_s == pytest.approx(1.0)


def test_mix_lowers_a_mix_that_would_clip(nodes: NodeRunner) -> None:
    loud = tone(nodes, 0.5, level=0.9)
    safe = read(nodes, nodes.run("audio.mix", {}, {"a": loud, "b": loud})["audio"])
    assert 0.98 <= pcm.peak(safe) <= 1.0
    clipped = nodes.run("audio.mix", {"prevent_clipping": False}, {"a": loud, "b": loud})
    assert np.mean(np.abs(read(nodes, clipped["audio"]).samples) > 0.99) > 0.2


def test_trim_cuts_and_fades(nodes: NodeRunner) -> None:
    source = tone(nodes, 2.0, level=0.5)
    out = nodes.run(
        "audio.trim",
        {"start": 0.5, "end": 1.25, "fade_in": 0.1, "fade_out": 0.1},
        {"audio": source},
    )
    clip = read(nodes, out["audio"])
    assert clip.duration_s == pytest.approx(0.75)
    assert abs(clip.samples[0, 0]) < 0.01 and abs(clip.samples[-1, 0]) < 0.01
    assert pcm.peak(clip) == pytest.approx(0.5, abs=0.01)
    to_end = nodes.run("audio.trim", {"start": 1.5}, {"audio": source})["audio"]
    assert read(nodes, to_end).duration_s == pytest.approx(0.5)
    with pytest.raises(PermanentNodeError, match="after the end"):
        nodes.run("audio.trim", {"start": 3.0}, {"audio": source})


def test_normalize_peak_hits_the_target(nodes: NodeRunner) -> None:
    out = nodes.run("audio.normalize", {"peak_db": -3.0}, {"audio": tone(nodes, 0.5, level=0.1)})
    assert pcm.to_db(pcm.peak(read(nodes, out["audio"]))) == pytest.approx(-3.0, abs=0.05)
    assert out["gain_db"] == pytest.approx(20 - 3, abs=0.05)


def test_normalize_loudness_targets_rms_without_passing_the_ceiling(nodes: NodeRunner) -> None:
    quiet = tone(nodes, 0.5, level=0.05)
    out = read(
        nodes,
        nodes.run("audio.normalize", {"mode": "loudness", "loudness_db": -20.0}, {"audio": quiet})[
            "audio"
        ],
    )
    assert pcm.to_db(pcm.rms(out)) == pytest.approx(-20.0, abs=0.1)
    capped = nodes.run(
        "audio.normalize",
        {"mode": "loudness", "loudness_db": -1.0, "peak_db": -2.0},
        {"audio": quiet},
    )
    assert pcm.to_db(pcm.peak(read(nodes, capped["audio"]))) == pytest.approx(-2.0, abs=0.05)


def test_normalize_refuses_silence(nodes: NodeRunner) -> None:
    silent = put(nodes, pcm.silence(0.2, 8000))
    with pytest.raises(PermanentNodeError, match="silent"):
        nodes.run("audio.normalize", {}, {"audio": silent})


# ---------------------------------------------------------------- speech_offline

TEXT = "Patchbay speaks offline when espeak-ng is installed on this machine."


def test_speech_without_espeak_is_a_flagged_preview_of_the_right_length(
    nodes: NodeRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = nodes.run("audio.speech_offline", {"text": TEXT})
    assert out["audio"].preview is True
    assert out["message"].startswith("[preview]") and "espeak-ng" in out["message"]
    assert read(nodes, out["audio"]).duration_s == pytest.approx(len(TEXT) / 15, abs=0.1)


def test_speech_uses_espeak_when_installed(
    nodes: NodeRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "espeak-ng"
    log = tmp_path / "espeak-args.txt"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import sys, wave\n"
        "args = sys.argv[1:]\n"
        "text = sys.stdin.read()\n"
        f"open({str(log)!r}, 'w').write(' '.join(args) + '|' + text)\n"
        "with wave.open(args[args.index('-w') + 1], 'wb') as out:\n"
        "    out.setnchannels(1); out.setsampwidth(2); out.setframerate(22050)\n"
        "    out.writeframes(b'\\x10\\x00' * 22050)\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    out = nodes.run("audio.speech_offline", {"voice": "en-us", "speed": 150}, {"text": TEXT})
    assert out["audio"].preview is False
    assert out["message"] == "spoken by espeak-ng (voice en-us)"
    assert read(nodes, out["audio"]).duration_s == pytest.approx(1.0)
    args, spoken = log.read_text().split("|")
    assert "-v en-us -s 150" in args and "--stdin" in args and spoken == TEXT
    with pytest.raises(PermanentNodeError, match="not a voice name"):
        nodes.run("audio.speech_offline", {"voice": "--help"}, {"text": TEXT})


def test_speech_needs_text(nodes: NodeRunner) -> None:
    with pytest.raises(PermanentNodeError, match="no text"):
        nodes.run("audio.speech_offline", {"text": "  "})


def test_audio_output_node_passes_a_sound_through(nodes: NodeRunner) -> None:
    sound = tone(nodes, 0.1)
    assert nodes.run("output.audio", {}, {"audio": sound}) == {"audio": sound}
    with pytest.raises(PermanentNodeError, match="expected a sound, got text"):
        nodes.run("output.audio", {}, {"audio": "song.wav"})
