"""The node-output cache: fingerprints, the disk and memory layers, stale artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.artifacts import ArtifactStore
from engine.cache import NodeCache, node_fingerprint
from engine.catalog import PortType
from engine.values import Batch


def test_fingerprint_is_stable_and_ignores_key_order() -> None:
    first = node_fingerprint("t", {"a": 1, "b": [1, 2]}, {"x": "hi", "y": Batch(("1", "2"))})
    second = node_fingerprint("t", {"b": [1, 2], "a": 1}, {"y": Batch(("1", "2")), "x": "hi"})
    assert first == second
    assert len(first) == 64


@pytest.mark.parametrize(
    "changed",
    [
        ("u", {"a": 1}, {"x": "hi"}, None),
        ("t", {"a": 2}, {"x": "hi"}, None),
        ("t", {"a": 1}, {"x": "ho"}, None),
        ("t", {"a": 1}, {"x": "hi", "z": 0}, None),
        ("t", {"a": 1}, {"x": "hi"}, {"preview": True}),
        ("t", {"a": 1.5}, {"x": "hi"}, None),
        ("t", {"a": True}, {"x": "hi"}, None),
    ],
)
def test_fingerprint_changes_with_type_params_inputs_and_extras(
    changed: tuple[str, dict[str, object], dict[str, object], dict[str, object] | None],
) -> None:
    base = node_fingerprint("t", {"a": 1}, {"x": "hi"})
    assert node_fingerprint(*changed) != base


def test_artifacts_fingerprint_by_content(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    one = store.put_bytes(b"abc", kind=PortType.IMAGE, media_type="image/png", filename="a.png")
    same = store.put_bytes(b"abc", kind=PortType.IMAGE, media_type="image/png", filename="a.png")
    other = store.put_bytes(b"abd", kind=PortType.IMAGE, media_type="image/png", filename="a.png")
    assert node_fingerprint("t", {}, {"i": one}) == node_fingerprint("t", {}, {"i": same})
    assert node_fingerprint("t", {}, {"i": one}) != node_fingerprint("t", {}, {"i": other})


def test_entries_round_trip_through_disk(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    image = store.put_bytes(b"px", kind=PortType.IMAGE, media_type="image/png")
    outputs = {"image": image, "texts": Batch(("a", "b")), "n": 3}
    NodeCache(tmp_path / "cache").put("f" * 64, outputs, node_type="t")

    fresh = NodeCache(tmp_path / "cache")  # a new process: nothing in memory
    assert fresh.get("f" * 64, store) == outputs
    assert fresh.get("e" * 64, store) is None


def test_memory_layer_is_bounded(tmp_path: Path) -> None:
    cache = NodeCache(memory_entries=2)
    for key in ("a", "b", "c"):
        cache.put(key * 64, {"v": key})
    assert cache.get("a" * 64) is None  # evicted, and there is no disk layer
    assert cache.get("c" * 64) == {"v": "c"}


def test_missing_artifact_makes_a_miss_and_forgets_the_entry(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    image = store.put_bytes(b"px", kind=PortType.IMAGE, media_type="image/png")
    cache = NodeCache(tmp_path / "cache")
    cache.put("a" * 64, {"image": Batch((image,))})
    store.path(image).unlink()

    assert cache.get("a" * 64, store) is None
    assert not list((tmp_path / "cache").glob("*/*.json"))


def test_unreadable_entries_are_misses(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = NodeCache(tmp_path)
    cache.put("a" * 64, {"v": 1})
    (tmp_path / "aa" / f"{'a' * 64}.json").write_text("{not json", encoding="utf-8")
    cache.put("b" * 64, {"v": 2})
    (tmp_path / "bb" / f"{'b' * 64}.json").write_text('{"format": 99}', encoding="utf-8")

    fresh = NodeCache(tmp_path)
    assert fresh.get("a" * 64) is None
    assert fresh.get("b" * 64) is None
    assert "unreadable cache entry" in caplog.text


def test_write_failures_do_not_raise(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "cache"
    cache = NodeCache(blocker)
    (blocker / "aa").write_text("a file where a directory should be", encoding="utf-8")
    cache.put("a" * 64, {"v": 1})
    assert "could not write cache entry" in caplog.text
    assert cache.get("a" * 64) == {"v": 1}  # still served from memory


def test_clear_and_discard(tmp_path: Path) -> None:
    cache = NodeCache.in_data_dir(tmp_path)
    cache.put("a" * 64, {"v": 1})
    cache.put("b" * 64, {"v": 2})
    cache.discard("a" * 64)
    assert cache.get("a" * 64) is None
    cache.clear()
    assert cache.get("b" * 64) is None
    assert NodeCache.in_data_dir(tmp_path).get("b" * 64) is None
