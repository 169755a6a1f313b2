"""Local video nodes: every result is probed with ffmpeg (duration, streams, size)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engine.catalog import default_catalog
from engine.errors import PermanentNodeError
from engine.media import audio as pcm
from engine.media.store import store_audio
from engine.values import Artifact
from tests.engine.conftest import NodeRunner, assert_local_spec_complete, probe_artifact

VIDEO_TYPES = (
    "video.from_images",
    "video.ken_burns",
    "video.concat",
    "video.trim",
    "video.extract_frame",
    "video.add_audio",
    "video.resize",
)
RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def solid(
    runner: NodeRunner, color: tuple[int, int, int], size: tuple[int, int] = (160, 90)
) -> Artifact:
    return runner.put_image(Image.new("RGB", size, color))


def slideshow(runner: NodeRunner, *colors: tuple[int, int, int], **params: object) -> Artifact:
    images = [solid(runner, c) for c in colors]
    settings = {"seconds_per_image": 0.5, "crossfade": 0.0, "fps": 12, **params}
    video = runner.run("video.from_images", settings, {"images": images})["video"]
    assert isinstance(video, Artifact)
    return video


def tone(runner: NodeRunner, seconds: float, level: float = 0.3) -> Artifact:
    clip = pcm.tone(seconds, frequency=330, sample_rate=16000, level=level)
    return store_audio(runner.artifacts, clip, filename="tone.wav")


def frame(runner: NodeRunner, video: Artifact, time: float) -> Image.Image:
    return runner.image(
        runner.run("video.extract_frame", {"time": time}, {"video": video})["image"]
    )


def near(pixel: object, expected: tuple[int, ...], tolerance: int = 40) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=False))


@pytest.mark.parametrize("node_type", VIDEO_TYPES)
def test_video_specs_are_complete_and_free(node_type: str) -> None:
    spec = default_catalog().spec(node_type)
    assert_local_spec_complete(spec)
    assert {p.type.value for p in spec.outputs} <= {"video", "image"}


# ---------------------------------------------------------------- from_images


def test_from_images_shows_each_picture_for_its_time(nodes: NodeRunner) -> None:
    video = slideshow(nodes, RED, GREEN, BLUE)
    info = probe_artifact(nodes, video)
    assert info.duration_s == pytest.approx(1.5, abs=0.05)
    assert (info.video[0].width, info.video[0].height, info.video[0].fps) == (160, 90, 12.0)
    assert not info.has_audio
    assert video.media_type == "video/mp4"
    assert video.metadata == {
        "width": 160,
        "height": 90,
        "duration_s": pytest.approx(1.5, abs=0.05),
        "fps": 12.0,
        "has_audio": False,
    }
    assert near(frame(nodes, video, 0.25).getpixel((80, 45)), RED)
    assert near(frame(nodes, video, 0.75).getpixel((80, 45)), GREEN)
    assert near(frame(nodes, video, -0.01).getpixel((80, 45)), BLUE)


def test_from_images_total_length_is_shared_and_crossfades_blend(nodes: NodeRunner) -> None:
    video = slideshow(nodes, RED, BLUE, total_seconds=2.0, crossfade=0.5, fps=10)
    assert probe_artifact(nodes, video).duration_s == pytest.approx(2.0, abs=0.05)
    r, _, b = frame(nodes, video, 0.75).getpixel((80, 45))  # type: ignore[misc]
    assert 60 < r < 200 and 60 < b < 200, "half-way through the dissolve both show"
    assert near(frame(nodes, video, 0.2).getpixel((80, 45)), RED)


def test_from_images_pads_other_shapes_and_rounds_odd_sizes(nodes: NodeRunner) -> None:
    wide, tall = solid(nodes, RED), solid(nodes, GREEN, (40, 90))
    video = nodes.run(
        "video.from_images",
        {"seconds_per_image": 0.5, "fps": 8, "width": 161, "height": 91, "background": "#0000ff"},
        {"images": [wide, tall]},
    )["video"]
    assert (video.metadata["width"], video.metadata["height"]) == (162, 92)
    second = frame(nodes, video, 0.75)
    assert near(second.getpixel((5, 45)), BLUE) and near(second.getpixel((81, 45)), GREEN)


def test_from_images_without_pictures_is_a_clear_error(nodes: NodeRunner) -> None:
    with pytest.raises(PermanentNodeError, match="no pictures"):
        nodes.run("video.from_images", {}, {"images": []})


# ---------------------------------------------------------------- ken_burns


def framed_picture(runner: NodeRunner) -> Artifact:
    """A 320x180 blue picture with a 40 px red border."""
    picture = Image.new("RGB", (320, 180), RED)
    picture.paste(BLUE, (40, 40, 280, 140))
    return runner.put_image(picture)


def test_ken_burns_zoom_in_ends_closer_than_it_starts(nodes: NodeRunner) -> None:
    params = {"duration": 1.0, "fps": 12, "width": 160, "height": 90, "zoom": 2.0}
    video = nodes.run("video.ken_burns", params, {"image": framed_picture(nodes)})["video"]
    info = probe_artifact(nodes, video)
    assert info.duration_s == pytest.approx(1.0, abs=0.05)
    assert (info.video[0].width, info.video[0].height) == (160, 90)
    assert near(frame(nodes, video, 0).getpixel((3, 3)), RED), "the whole picture at first"
    assert near(frame(nodes, video, -0.01).getpixel((3, 3)), BLUE), "the middle at the end"


def test_ken_burns_pan_moves_across_the_picture(nodes: NodeRunner) -> None:
    gradient = np.zeros((90, 320, 3), dtype=np.uint8)
    gradient[:, :, 0] = np.linspace(255, 0, 320, dtype=np.uint8)
    picture = nodes.put_image(Image.fromarray(gradient))
    params = {"duration": 1.0, "fps": 12, "width": 80, "height": 90, "zoom": 1.5}
    params["direction"] = "pan_right"
    video = nodes.run("video.ken_burns", params, {"image": picture})["video"]
    first, last = frame(nodes, video, 0), frame(nodes, video, -0.01)
    assert first.getpixel((40, 45))[0] > last.getpixel((40, 45))[0] + 100  # type: ignore[index]


# ---------------------------------------------------------------- concat / trim


def test_concat_joins_lengths_and_gives_silent_clips_a_track(nodes: NodeRunner) -> None:
    silent = slideshow(nodes, RED, GREEN)
    voiced = nodes.run(
        "video.add_audio", {}, {"video": slideshow(nodes, BLUE), "audio": tone(nodes, 0.5)}
    )
    tall = nodes.run(
        "video.from_images",
        {"seconds_per_image": 0.5, "fps": 12},
        {"images": [solid(nodes, GREEN, (50, 90))]},
    )["video"]
    joined = nodes.run("video.concat", {}, {"videos": [silent, voiced["video"], tall]})["video"]
    info = probe_artifact(nodes, joined)
    assert info.duration_s == pytest.approx(2.0, abs=0.1)
    assert info.has_video and info.has_audio
    assert (info.video[0].width, info.video[0].height) == (160, 90)
    assert joined.metadata["has_audio"] is True
    assert near(frame(nodes, joined, 1.2).getpixel((80, 45)), BLUE)
    assert near(frame(nodes, joined, 1.75).getpixel((5, 45)), (0, 0, 0)), "letterboxed"


def test_concat_of_silent_clips_has_no_audio(nodes: NodeRunner) -> None:
    joined = nodes.run("video.concat", {"fps": 6}, {"videos": [slideshow(nodes, RED)] * 2})["video"]
    info = probe_artifact(nodes, joined)
    assert not info.has_audio and info.video[0].fps == 6.0
    assert info.duration_s == pytest.approx(1.0, abs=0.1)


def test_trim_keeps_the_span_between_start_and_end(nodes: NodeRunner) -> None:
    video = slideshow(nodes, RED, GREEN, BLUE, GREEN)
    cut = nodes.run("video.trim", {"start": 0.5, "end": 1.5}, {"video": video})["video"]
    assert probe_artifact(nodes, cut).duration_s == pytest.approx(1.0, abs=0.05)
    assert near(frame(nodes, cut, 0.1).getpixel((80, 45)), GREEN)
    assert near(frame(nodes, cut, 0.9).getpixel((80, 45)), BLUE)
    with pytest.raises(PermanentNodeError, match="after the end"):
        nodes.run("video.trim", {"start": 5.0}, {"video": video})
    with pytest.raises(PermanentNodeError, match="must be after start"):
        nodes.run("video.trim", {"start": 1.0, "end": 0.5}, {"video": video})


# ---------------------------------------------------------------- extract_frame


def test_extract_frame_returns_an_image_of_the_video_size(nodes: NodeRunner) -> None:
    video = slideshow(nodes, RED, BLUE)
    image = nodes.run("video.extract_frame", {"time": 0.1}, {"video": video})["image"]
    assert image.kind.value == "image" and image.metadata == {"width": 160, "height": 90}
    assert near(nodes.image(image).getpixel((10, 10)), RED)
    with pytest.raises(PermanentNodeError, match=r"outside the 1\.00 s clip"):
        nodes.run("video.extract_frame", {"time": 3.0}, {"video": video})


def test_video_inputs_must_be_videos(nodes: NodeRunner) -> None:
    with pytest.raises(PermanentNodeError, match="expected video, got an image file"):
        nodes.run("video.extract_frame", {}, {"video": solid(nodes, RED)})
    (nodes.base_dir / "fake.mp4").write_text("not a video")
    with pytest.raises(PermanentNodeError, match="not a media file"):
        nodes.run("video.trim", {}, {"video": "fake.mp4"})


# ---------------------------------------------------------------- add_audio


@pytest.mark.parametrize(
    ("length", "expected"), [("longest", 2.0), ("video", 1.0), ("audio", 2.0), ("shortest", 1.0)]
)
def test_add_audio_muxes_both_streams_at_the_chosen_length(
    nodes: NodeRunner, length: str, expected: float
) -> None:
    video = slideshow(nodes, RED, GREEN)
    result = nodes.run(
        "video.add_audio", {"length": length}, {"video": video, "audio": tone(nodes, 2.0)}
    )
    info = probe_artifact(nodes, result["video"])
    assert info.has_video and info.has_audio
    assert info.audio[0].codec == "aac" and info.video[0].codec == "h264"
    assert info.duration_s == pytest.approx(expected, abs=0.1)
    assert result["video"].metadata["has_audio"] is True


def test_add_audio_replace_drops_and_mix_keeps_the_original_sound(nodes: NodeRunner) -> None:
    loud = nodes.run(
        "video.add_audio", {}, {"video": slideshow(nodes, RED), "audio": tone(nodes, 0.5)}
    )
    quiet = store_audio(nodes.artifacts, pcm.silence(0.5, 16000))
    replaced = nodes.run("video.add_audio", {}, {"video": loud["video"], "audio": quiet})["video"]
    mixed = nodes.run("video.add_audio", {"mode": "mix"}, {"video": loud["video"], "audio": quiet})[
        "video"
    ]
    replaced_level = pcm.rms(pcm.load_audio(nodes.artifacts.path(replaced)))
    mixed_level = pcm.rms(pcm.load_audio(nodes.artifacts.path(mixed)))
    assert replaced_level < 0.01 < mixed_level


def test_add_audio_offset_delays_the_sound(nodes: NodeRunner) -> None:
    video = slideshow(nodes, RED)
    result = nodes.run(
        "video.add_audio", {"offset": 0.5}, {"video": video, "audio": tone(nodes, 1.0)}
    )["video"]
    assert probe_artifact(nodes, result).duration_s == pytest.approx(1.5, abs=0.1)
    sound = pcm.load_audio(nodes.artifacts.path(result))
    head = pcm.AudioClip(sound.samples[: sound.sample_rate // 3], sound.sample_rate)
    assert pcm.peak(head) < 0.01


# ---------------------------------------------------------------- resize


def test_resize_keeps_aspect_with_one_side_and_fits_a_box(nodes: NodeRunner) -> None:
    video = nodes.run(
        "video.add_audio", {}, {"video": slideshow(nodes, RED), "audio": tone(nodes, 0.5)}
    )
    small = nodes.run("video.resize", {"width": 80}, {"video": video["video"]})["video"]
    info = probe_artifact(nodes, small)
    assert info.video[0].width == 80 and info.video[0].height in (44, 46)
    assert info.has_audio
    boxed = nodes.run(
        "video.resize",
        {"width": 100, "height": 100, "mode": "pad", "fps": 6},
        {"video": video["video"]},
    )["video"]
    info = probe_artifact(nodes, boxed)
    assert (info.video[0].width, info.video[0].height, info.video[0].fps) == (100, 100, 6.0)
    assert info.duration_s == pytest.approx(0.5, abs=0.1)
    with pytest.raises(PermanentNodeError, match="set a width"):
        nodes.run("video.resize", {"width": 0, "height": 0}, {"video": video["video"]})


def test_video_output_node_passes_a_clip_through(nodes: NodeRunner) -> None:
    video = slideshow(nodes, RED)
    assert nodes.run("output.video", {"name": "clip"}, {"video": video}) == {"video": video}
    with pytest.raises(PermanentNodeError, match="expected a video"):
        nodes.run("output.video", {}, {"video": solid(nodes, RED)})
