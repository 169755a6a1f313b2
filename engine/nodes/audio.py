"""Local audio nodes: concat, mix, trim, normalise, silence and offline speech.

Sound travels as 16-bit PCM WAV artifacts (``audio/wav``; metadata ``duration_s``,
``sample_rate``, ``channels``). Inputs in other formats (MP3 from a provider, the
sound of a video) are decoded with the bundled ffmpeg. Clips of different sample
rates or channel counts are converted to the highest rate and the most channels.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from engine.catalog.registry import Catalog
from engine.catalog.spec import Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.errors import PermanentNodeError
from engine.media import audio as pcm
from engine.media.store import open_audio, stem, store_audio
from engine.nodes.base import NodeContext
from engine.nodes.support import as_items, port_or_param, to_text

MAX_CLIPS = 200
MAX_SPEECH_CHARS = 20_000
SPEECH_TIMEOUT_S = 120.0

AUDIO_OUT = PortSpec(name="audio", type=PortType.AUDIO, description="The resulting sound (WAV).")


def _audio_port(name: str = "audio", description: str = "The sound to work on.") -> PortSpec:
    return PortSpec(name=name, type=PortType.AUDIO, description=description)


def _seconds(
    name: str, label: str, default: float, description: str, *, minimum: float = 0.0
) -> ParamSpec:
    return ParamSpec(
        name=name,
        kind=ParamKind.NUMBER,
        label=label,
        default=default,
        minimum=minimum,
        maximum=pcm.MAX_SECONDS,
        step=0.1,
        description=description,
    )


def _gain(name: str, label: str, what: str) -> ParamSpec:
    return ParamSpec(
        name=name,
        kind=ParamKind.NUMBER,
        label=label,
        default=0.0,
        minimum=-60.0,
        maximum=24.0,
        step=0.5,
        description=f"Gain of {what} in dB: 0 = unchanged, -6 = about half as loud.",
    )


# ---------------------------------------------------------------- audio.concat

CONCAT = NodeSpec(
    type="audio.concat",
    category=Category.AUDIO,
    display_name="Concatenate Audio",
    description="Play sounds one after another as one sound, optionally with a pause between.",
    aliases=("join audio", "append", "sequence", "playlist", "merge clips"),
    inputs=(
        PortSpec(
            name="audios",
            type=PortType.AUDIO,
            is_list=True,
            description="The sounds, in order; every wire and every batch item is one.",
        ),
    ),
    outputs=(AUDIO_OUT,),
    params=(_seconds("gap", "Pause", 0.0, "Seconds of silence between consecutive sounds."),),
)


def run_concat(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Join the sounds end to end."""
    items = as_items(inputs.get("audios"))
    if not items:
        raise PermanentNodeError("no sounds: wire one or more audio clips into `audios`")
    if len(items) > MAX_CLIPS:
        raise PermanentNodeError(f"{len(items)} sounds is more than the limit of {MAX_CLIPS}")
    clips = pcm.conform([open_audio(ctx, v, what=f"sound {i + 1}") for i, v in enumerate(items)])
    gap = pcm.silence(float(ctx.params["gap"]), clips[0].sample_rate, clips[0].channels)
    parts: list[np.ndarray[Any, Any]] = []
    for index, clip in enumerate(clips):
        if index and gap.frames:
            parts.append(gap.samples)
        parts.append(clip.samples)
    joined = pcm.AudioClip(np.concatenate(parts).astype(np.float32), clips[0].sample_rate)
    return {"audio": store_audio(ctx.artifacts, joined, filename=stem(items[0], ".wav"))}


# ---------------------------------------------------------------- audio.mix

MIX = NodeSpec(
    type="audio.mix",
    category=Category.AUDIO,
    display_name="Mix Audio",
    description="Play sounds at the same time (voice over music), each with its own gain.",
    aliases=("blend", "overlay audio", "layer", "combine", "background music", "duck"),
    inputs=(
        _audio_port("a", "The first sound (sets the length in 'first' mode)."),
        _audio_port("b", "A second sound.").model_copy(update={"required": False}),
        PortSpec(
            name="more",
            type=PortType.AUDIO,
            is_list=True,
            required=False,
            description="Any number of further sounds, all at the 'More' gain.",
        ),
    ),
    outputs=(AUDIO_OUT,),
    params=(
        _gain("gain_a", "Gain A", "sound A"),
        _gain("gain_b", "Gain B", "sound B"),
        _gain("gain_more", "Gain more", "the further sounds"),
        ParamSpec(
            name="length",
            kind=ParamKind.ENUM,
            label="Length",
            default="longest",
            choices=("longest", "first", "shortest"),
            description="longest: until every sound has ended; first: as long as A; "
            "shortest: until the first sound ends.",
        ),
        ParamSpec(
            name="prevent_clipping",
            kind=ParamKind.BOOLEAN,
            label="Prevent clipping",
            default=True,
            description="Lower the whole mix if it would be louder than full scale.",
        ),
    ),
)


def run_mix(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Sum the gained sounds."""
    params = ctx.params
    tracks: list[tuple[Any, float, str]] = [(inputs.get("a"), float(params["gain_a"]), "sound A")]
    if inputs.get("b") is not None:
        tracks.append((inputs["b"], float(params["gain_b"]), "sound B"))
    for index, value in enumerate(as_items(inputs.get("more"))):
        tracks.append((value, float(params["gain_more"]), f"further sound {index + 1}"))
    if len(tracks) > MAX_CLIPS:
        raise PermanentNodeError(f"{len(tracks)} sounds is more than the limit of {MAX_CLIPS}")
    clips = pcm.conform([open_audio(ctx, value, what=what) for value, _, what in tracks])
    lengths = [c.frames for c in clips]
    frames = {"longest": max(lengths), "first": lengths[0], "shortest": min(lengths)}[
        str(params["length"])
    ]
    mixed = np.zeros((frames, clips[0].channels), dtype=np.float32)
    for clip, (_, gain_db, _) in zip(clips, tracks, strict=True):
        mixed += pcm.pad_to(clip, frames).samples * np.float32(pcm.from_db(gain_db))
    result = pcm.AudioClip(mixed, clips[0].sample_rate)
    top = pcm.peak(result)
    if params["prevent_clipping"] and top > 1.0:
        result = pcm.gain(result, 1.0 / top)
    return {"audio": store_audio(ctx.artifacts, result, filename=stem(inputs.get("a"), ".wav"))}


# ---------------------------------------------------------------- audio.trim

TRIM = NodeSpec(
    type="audio.trim",
    category=Category.AUDIO,
    display_name="Trim Audio",
    description="Keep the part of a sound between a start and an end time, with optional "
    "fades so the cut does not click.",
    aliases=("cut", "shorten", "crop audio", "fade"),
    inputs=(_audio_port(),),
    outputs=(AUDIO_OUT,),
    params=(
        _seconds("start", "Start", 0.0, "Seconds from the beginning where the result starts."),
        _seconds("end", "End", 0.0, "Seconds from the beginning where it ends; 0 = the end."),
        _seconds("fade_in", "Fade in", 0.0, "Seconds of fade-in at the start of the result."),
        _seconds("fade_out", "Fade out", 0.0, "Seconds of fade-out at the end of the result."),
    ),
)


def run_trim(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Cut the sound to [start, end] and apply the fades."""
    clip = open_audio(ctx, inputs.get("audio"))
    start, end = float(ctx.params["start"]), float(ctx.params["end"]) or clip.duration_s
    if start >= clip.duration_s:
        raise PermanentNodeError(
            f"start {start:g} s is at or after the end of the {clip.duration_s:.2f} s sound"
        )
    if end <= start:
        raise PermanentNodeError(f"end {end:g} s must be after start {start:g} s")
    first, last = (
        round(start * clip.sample_rate),
        round(min(end, clip.duration_s) * clip.sample_rate),
    )
    cut = pcm.AudioClip(clip.samples[first:last], clip.sample_rate)
    cut = pcm.fade(cut, float(ctx.params["fade_in"]), float(ctx.params["fade_out"]))
    return {"audio": store_audio(ctx.artifacts, cut, filename=stem(inputs.get("audio"), ".wav"))}


# ---------------------------------------------------------------- audio.normalize

NORMALIZE = NodeSpec(
    type="audio.normalize",
    category=Category.AUDIO,
    display_name="Normalise Audio",
    description="Make a sound as loud as a target: its loudest sample at a peak level, or its "
    "average (RMS) level at a loudness, never letting the peak pass full scale.",
    aliases=("normalise", "loudness", "volume", "gain", "level", "louder"),
    inputs=(_audio_port(),),
    outputs=(
        AUDIO_OUT,
        PortSpec(name="gain_db", type=PortType.NUMBER, description="The gain applied, in dB."),
    ),
    params=(
        ParamSpec(
            name="mode",
            kind=ParamKind.ENUM,
            label="Mode",
            default="peak",
            choices=("peak", "loudness"),
            description="peak: scale so the loudest sample hits the peak level; loudness: "
            "scale so the RMS level hits the loudness target.",
        ),
        ParamSpec(
            name="peak_db",
            kind=ParamKind.NUMBER,
            label="Peak level",
            default=-1.0,
            minimum=-60.0,
            maximum=0.0,
            step=0.5,
            description="Target (peak mode) or ceiling (loudness mode) in dBFS.",
        ),
        ParamSpec(
            name="loudness_db",
            kind=ParamKind.NUMBER,
            label="Loudness",
            default=-16.0,
            minimum=-60.0,
            maximum=0.0,
            step=0.5,
            description="RMS target in dBFS for the loudness mode (-16 suits speech online).",
        ),
    ),
)


def run_normalize(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Apply one gain so the sound reaches the target."""
    clip = open_audio(ctx, inputs.get("audio"))
    top = pcm.peak(clip)
    if top == 0:
        raise PermanentNodeError("the sound is silent; there is nothing to normalise")
    ceiling = pcm.from_db(float(ctx.params["peak_db"]))
    if ctx.params["mode"] == "loudness":
        factor = min(pcm.from_db(float(ctx.params["loudness_db"])) / pcm.rms(clip), ceiling / top)
    else:
        factor = ceiling / top
    result = pcm.gain(clip, factor)
    filename = stem(inputs.get("audio"), ".wav")
    return {
        "audio": store_audio(ctx.artifacts, result, filename=filename),
        "gain_db": round(pcm.to_db(factor), 2),
    }


# ---------------------------------------------------------------- audio.silence

SILENCE = NodeSpec(
    type="audio.silence",
    category=Category.AUDIO,
    display_name="Silence",
    description="A silent sound of a given length: a pause to put between clips, or a "
    "placeholder track.",
    aliases=("pause", "gap", "blank audio", "empty track", "quiet"),
    outputs=(AUDIO_OUT,),
    params=(
        _seconds("duration", "Duration", 1.0, "Length in seconds.", minimum=0.01),
        ParamSpec(
            name="sample_rate",
            kind=ParamKind.ENUM,
            label="Sample rate",
            default=pcm.DEFAULT_RATE,
            choices=pcm.SAMPLE_RATES,
            description="Samples per second (44100 for music, 24000 or 16000 for speech).",
        ),
        ParamSpec(
            name="channels",
            kind=ParamKind.ENUM,
            label="Channels",
            default=1,
            choices=(1, 2),
            description="1 = mono, 2 = stereo.",
        ),
    ),
)


def run_silence(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Make the silent clip."""
    clip = pcm.silence(
        float(ctx.params["duration"]), int(ctx.params["sample_rate"]), int(ctx.params["channels"])
    )
    return {"audio": store_audio(ctx.artifacts, clip, filename="silence.wav")}


# ---------------------------------------------------------------- audio.speech_offline

SPEECH = NodeSpec(
    type="audio.speech_offline",
    category=Category.AUDIO,
    display_name="Offline Speech",
    description="Read a text aloud with espeak-ng on this machine (no network, no key). When "
    "espeak-ng is not installed the node outputs a preview tone of the speech's length, "
    "flagged as preview, and says so in its message.",
    aliases=("text to speech", "tts", "voice", "espeak", "narration", "say"),
    inputs=(
        PortSpec(
            name="text",
            type=PortType.TEXT,
            required=False,
            description="The text to speak; overrides the Text parameter when wired.",
        ),
    ),
    outputs=(
        AUDIO_OUT.model_copy(update={"description": "The spoken text (WAV)."}),
        PortSpec(
            name="message",
            type=PortType.TEXT,
            description="Which engine spoke, or why a preview tone was produced instead.",
        ),
    ),
    params=(
        ParamSpec(
            name="text",
            kind=ParamKind.TEXT,
            label="Text",
            default="",
            description="What to say.",
        ),
        ParamSpec(
            name="voice",
            kind=ParamKind.STRING,
            label="Voice",
            default="en",
            description="An espeak-ng voice or language such as en, en-us, de, fr "
            "(espeak-ng --voices lists them).",
        ),
        ParamSpec(
            name="speed",
            kind=ParamKind.INTEGER,
            label="Speed",
            default=175,
            minimum=80,
            maximum=450,
            description="Words per minute.",
        ),
        ParamSpec(
            name="pitch",
            kind=ParamKind.INTEGER,
            label="Pitch",
            default=50,
            minimum=0,
            maximum=99,
            description="0 = low, 99 = high.",
        ),
    ),
)

_NO_ENGINE = (
    "espeak-ng is not installed, so this is a preview tone as long as the speech would be; "
    "install espeak-ng (e.g. apt install espeak-ng) for real offline speech"
)


def run_speech(ctx: NodeContext, inputs: dict[str, Any]) -> Mapping[str, Any]:
    """Speak the text with espeak-ng, or make a flagged preview tone."""
    text = to_text(port_or_param(ctx, inputs, "text")).strip()
    if not text:
        raise PermanentNodeError("no text to speak: type it in or wire a text into `text`")
    if len(text) > MAX_SPEECH_CHARS:
        raise PermanentNodeError(
            f"the text has {len(text)} characters; the limit is {MAX_SPEECH_CHARS}"
        )
    engine = shutil.which("espeak-ng")
    if engine is None:
        from engine.preview import speech_tone

        audio = store_audio(ctx.artifacts, speech_tone(text), filename="speech.wav", preview=True)
        return {"audio": audio, "message": f"[preview] {_NO_ENGINE}"}
    clip = _espeak(engine, text, ctx.params)
    audio = store_audio(ctx.artifacts, clip, filename="speech.wav")
    return {"audio": audio, "message": f"spoken by espeak-ng (voice {ctx.params['voice']})"}


def _espeak(engine: str, text: str, params: Mapping[str, Any]) -> pcm.AudioClip:
    voice = str(params["voice"]).strip() or "en"
    if voice.startswith("-") or any(c.isspace() for c in voice):
        raise PermanentNodeError(f"voice: {voice!r} is not a voice name such as en or en-us")
    with tempfile.TemporaryDirectory(prefix="patchbay-speech-") as tmp:
        target = Path(tmp) / "speech.wav"
        argv = [
            engine,
            "-v",
            voice,
            "-s",
            str(int(params["speed"])),
            "-p",
            str(int(params["pitch"])),
        ]
        argv += ["-w", str(target), "--stdin"]
        try:
            completed = subprocess.run(
                argv,
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=SPEECH_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise PermanentNodeError(f"espeak-ng took longer than {SPEECH_TIMEOUT_S:g} s") from exc
        except OSError as exc:
            raise PermanentNodeError(f"cannot start espeak-ng ({exc.strerror or exc})") from exc
        if completed.returncode != 0 or not target.is_file():
            reason = completed.stderr.decode("utf-8", "replace").strip() or "no sound was written"
            raise PermanentNodeError(f"espeak-ng failed: {reason[-300:]}")
        return pcm.load_audio(target, name="speech")


def register(catalog: Catalog) -> None:
    """Register the audio nodes."""
    catalog.register(CONCAT, run_concat)
    catalog.register(MIX, run_mix)
    catalog.register(TRIM, run_trim)
    catalog.register(NORMALIZE, run_normalize)
    catalog.register(SILENCE, run_silence)
    catalog.register(SPEECH, run_speech)
