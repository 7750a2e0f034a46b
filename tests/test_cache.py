"""The frame store: lossless, atomic, keyed by frame key and engine identity; info and prune."""

import os
import time
from pathlib import Path

import numpy as np
import pytest

from ride.errors import RideRenderError
from ride.renderer.store import FrameStore, decode_frame, encode_frame, identity_digest, prune, store_info

PREVIEW = {"engine": "preview", "version": "test"}


def image(value: int, size: int = 16) -> np.ndarray:
    rng = np.random.default_rng(value)
    return rng.integers(0, 256, (size, size, 3), dtype=np.uint8)


def key(i: int) -> str:
    return f"{i:02x}" + "k" * 22


def test_put_then_get_is_lossless(tmp_path):
    store = FrameStore(tmp_path, PREVIEW)
    frame = image(1)
    store.put(key(1), frame)
    assert store.has(key(1))
    assert np.array_equal(store.get(key(1)), frame)
    assert store.get(key(2)) is None


def test_engine_identity_separates_frames(tmp_path):
    FrameStore(tmp_path, PREVIEW).put(key(1), image(1))
    other = FrameStore(tmp_path, {"engine": "diffusers", "model": "x"})
    assert not other.has(key(1))
    assert identity_digest(PREVIEW) != identity_digest({"engine": "diffusers", "model": "x"})


def test_put_never_shows_a_partial_file(tmp_path, monkeypatch):
    store = FrameStore(tmp_path, PREVIEW)
    seen = []

    def replace_and_look(source, target):
        seen.append(os.path.exists(target))  # the final name does not exist until the rename
        real_replace(source, target)

    real_replace = os.replace
    monkeypatch.setattr(os, "replace", replace_and_look)
    store.put(key(3), image(3))
    assert seen == [False]
    assert [p.name for p in store.path(key(3)).parent.iterdir()] == [store.path(key(3)).name]


def test_a_crash_while_encoding_leaves_no_frame(tmp_path, monkeypatch):
    store = FrameStore(tmp_path, PREVIEW)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(RideRenderError, match="cannot write to the frame cache .*disk full"):
        store.put(key(4), image(4))
    assert not store.has(key(4)) and store.get(key(4)) is None
    assert list(store.path(key(4)).parent.iterdir()) == []  # nor its temporary file


def test_leftover_temporary_is_ignored_and_pruned(tmp_path):
    store = FrameStore(tmp_path, PREVIEW)
    store.put(key(1), image(1))
    path = store.path(key(2))
    path.parent.mkdir(parents=True)
    leftover = path.with_name(f".{path.name}.12345.tmp")  # what a kill -9 mid-write leaves
    leftover.write_bytes(b"RIDEFRM1 half a frame")
    assert not store.has(key(2)) and store.first_missing([key(1), key(2)]) == 1
    assert store.get(key(2)) is None and store_info(tmp_path).frames == 1
    assert prune(tmp_path) == 0
    assert leftover.exists()  # young: it may be a running render's frame in the making
    old = time.time() - 3600
    os.utime(leftover, (old, old))
    assert prune(tmp_path) == 0
    assert not leftover.exists() and store.has(key(1))


def test_a_corrupt_frame_reads_as_missing(tmp_path):
    store = FrameStore(tmp_path, PREVIEW)
    store.path(key(5)).parent.mkdir(parents=True)
    store.path(key(5)).write_bytes(b"not a frame")
    assert store.get(key(5)) is None


def test_first_missing_is_the_longest_stored_prefix(tmp_path):
    store = FrameStore(tmp_path, PREVIEW)
    for i in (0, 1, 2, 4):
        store.put(key(i), image(i))
    keys = [key(i) for i in range(6)]
    assert store.first_missing(keys) == 3
    assert store.first_missing(keys[:2]) == 2
    assert store.first_missing([]) == 0


def test_info_counts_frames_and_bytes(tmp_path):
    assert store_info(tmp_path / "none").frames == 0
    store = FrameStore(tmp_path, PREVIEW)
    for i in range(3):
        store.put(key(i), image(i))
    FrameStore(tmp_path, {"engine": "other"}).put(key(9), image(9))
    info = store_info(tmp_path)
    assert info.frames == 4
    assert info.bytes == sum(p.stat().st_size for p in tmp_path.rglob("*.frame"))


def test_prune_keeps_the_keep_set(tmp_path):
    store = FrameStore(tmp_path, PREVIEW)
    for i in range(5):
        store.put(key(i), image(i))
    assert prune(tmp_path, keep={key(1), key(3)}) == 3
    assert [store.has(key(i)) for i in range(5)] == [False, True, False, True, False]


def test_prune_to_max_size_drops_least_recently_used_first(tmp_path):
    store = FrameStore(tmp_path, PREVIEW)
    for i in range(4):
        store.put(key(i), image(i))
        os.utime(store.path(key(i)), (time.time() - 100 + i, time.time() - 100 + i))
    store.get(key(0))  # reading a frame makes it recent
    size = store.path(key(0)).stat().st_size
    assert prune(tmp_path, max_bytes=2 * size) == 2
    assert [store.has(key(i)) for i in range(4)] == [True, False, False, True]
    assert store_info(tmp_path).bytes <= 2 * size


def test_prune_older_than(tmp_path):
    store = FrameStore(tmp_path, PREVIEW)
    store.put(key(0), image(0))
    store.put(key(1), image(1))
    old = time.time() - 3 * 86400
    os.utime(store.path(key(0)), (old, old))
    assert prune(tmp_path, older_than_days=2) == 1
    assert not store.has(key(0)) and store.has(key(1))
    assert prune(tmp_path / "missing") == 0


def test_a_damaged_frame_is_removed_so_the_next_render_redraws_it(tmp_path):
    store = FrameStore(tmp_path, PREVIEW)
    store.put(key(1), image(1))
    store.path(key(1)).write_bytes(store.path(key(1)).read_bytes()[:30])  # cut short by a power loss
    assert store.get(key(1)) is None
    assert not store.has(key(1))


def test_a_cache_folder_that_is_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(RideRenderError, match="cannot write to the frame cache"):
        FrameStore(tmp_path / "afile", PREVIEW).put(key(1), image(1))


def test_the_index_answers_first_missing_without_a_stat_per_frame(tmp_path, monkeypatch):
    store = FrameStore(tmp_path, PREVIEW)
    for i in range(5):
        store.put(key(i), image(i))
    assert store.first_missing([key(i) for i in range(7)]) == 5  # builds the index from the folder
    store.put(key(5), image(5))  # appended to the index
    stats = []
    real_stat = Path.stat
    monkeypatch.setattr(Path, "stat", lambda self, **kw: stats.append(self) or real_stat(self, **kw))
    assert store.first_missing([key(i) for i in range(7)]) == 6
    assert store.first_missing([key(i) for i in range(7)], stop=3) == 3
    assert stats == [store.path(key(6))]  # one stat: of the frame the index says is the first missing


def test_frames_another_process_stores_appear_in_the_index(tmp_path):
    mine, theirs = FrameStore(tmp_path, PREVIEW), FrameStore(tmp_path, PREVIEW)
    mine.put(key(0), image(0))
    assert mine.first_missing([key(0), key(1), key(2)]) == 1
    theirs.put(key(1), image(1))
    theirs.put(key(2), image(2))
    assert mine.first_missing([key(0), key(1), key(2)]) == 3
    assert prune(tmp_path, keep={key(0)}) == 2  # and frames pruned disappear from it
    assert mine.first_missing([key(0), key(1), key(2)]) == 1


@pytest.mark.parametrize("damage", ["deleted", "garbage", "cut", "header"])
def test_a_missing_or_damaged_index_is_rebuilt_from_the_folder(tmp_path, damage):
    store = FrameStore(tmp_path, PREVIEW)
    for i in range(3):
        store.put(key(i), image(i))
    assert store.first_missing([key(i) for i in range(4)]) == 3
    index = store.index.path
    data = index.read_bytes()
    {"deleted": lambda: index.unlink(), "garbage": lambda: index.write_bytes(data[:13] + b"x" * 26),
     "cut": lambda: index.write_bytes(data[:20]), "header": lambda: index.write_bytes(b"\0" * len(data))}[damage]()
    again = FrameStore(tmp_path, PREVIEW)
    assert again.first_missing([key(i) for i in range(4)]) == 3
    assert index.read_bytes()[:13] == data[:13]


def test_a_frame_deleted_by_hand_is_found_missing_when_read_and_after_a_rescan(tmp_path):
    store = FrameStore(tmp_path, PREVIEW)
    for i in range(4):
        store.put(key(i), image(i))
    assert store.first_missing([key(i) for i in range(4)]) == 4
    store.path(key(1)).unlink()
    store.path(key(2)).unlink()
    assert store.get(key(1)) is None  # reading tells the index
    assert store.first_missing([key(i) for i in range(4)]) == 1
    store.rescan()
    assert store.first_missing([key(0), key(3)]) == 2 and store.first_missing([key(2)]) == 0


def test_prune_keep_last_keeps_the_most_recently_used(tmp_path):
    store = FrameStore(tmp_path, PREVIEW)
    for i in range(5):
        store.put(key(i), image(i))
        os.utime(store.path(key(i)), (time.time() - 100 + i, time.time() - 100 + i))
    assert prune(tmp_path, keep_last=2) == 3
    assert [store.has(key(i)) for i in range(5)] == [False, False, False, True, True]


def test_frames_of_the_previous_format_are_still_read():
    import struct
    import zlib

    frame = image(7, 24)
    delta = frame.copy()
    delta[1:] -= frame[:-1]
    old = b"RIDEFRM1" + struct.pack("<III", 24, 24, 3) + zlib.compress(delta.tobytes(), 1)
    assert np.array_equal(decode_frame(old), frame)
    assert np.array_equal(decode_frame(encode_frame(frame)), frame) and encode_frame(frame)[:8] == b"RIDEFRM2"
