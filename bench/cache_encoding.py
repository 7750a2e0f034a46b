"""The frame cache's encoding: bytes per 512x512 preview frame, encode and decode milliseconds.

    .venv/bin/python bench/cache_encoding.py [--frames 24]

Frames are the preview engine's, fed back by the renderer's loop (the Giro timeline, as
bench/preview_speed.py renders it). Each lossless option is timed on the same frames, best of 3
(CPU time of this thread: what a busy machine inflates least); the first row is the format before
(each row minus the row above, deflate level 1 run-length), the second the store's own now.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import builders as B  # noqa: E402
import numpy as np  # noqa: E402
import zstandard  # noqa: E402
from PIL import Image  # noqa: E402
from preview_speed import giro_plan  # noqa: E402

from ride.engines.preview import PreviewEngine  # noqa: E402
from ride.renderer.store import _residual, decode_frame, encode_frame  # noqa: E402


def row_delta_deflate(image: np.ndarray) -> bytes:
    delta = image.copy()
    delta[1:] -= image[:-1]
    packer = zlib.compressobj(1, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    return b"RIDEFRM1" + np.array(image.shape, "<u4").tobytes() + packer.compress(delta.tobytes()) + packer.flush()


def deflate_huffman(image: np.ndarray) -> bytes:
    packer = zlib.compressobj(1, zlib.DEFLATED, 15, 9, zlib.Z_HUFFMAN_ONLY)
    return packer.compress(_residual(image)) + packer.flush()


def pillow(format: str, **options):
    def encode(image: np.ndarray) -> bytes:
        out = io.BytesIO()
        Image.fromarray(image).save(out, format, **options)
        return out.getvalue()
    return encode


OPTIONS = [
    ("before: row difference + deflate 1 (RLE)", row_delta_deflate, decode_frame),
    ("now: gradient predictor + zstd 1", encode_frame, decode_frame),
    ("gradient predictor + deflate (Huffman only)", deflate_huffman, None),
    ("gradient predictor + zstd 3", lambda im: zstandard.ZstdCompressor(level=3).compress(_residual(im)), None),
    ("row difference + zstd 1", lambda im: zstandard.ZstdCompressor(level=1).compress(
        np.concatenate([im[:1], im[1:] - im[:-1]]).tobytes()), None),
    ("PNG, zlib level 1 (Pillow)", pillow("PNG", compress_level=1), None),
    ("WebP lossless, method 0 (Pillow)", pillow("WEBP", lossless=True, quality=0, method=0), None),
]


def best_ms(work, items) -> float:
    best = float("inf")
    for _ in range(3):
        began = time.thread_time()
        for item in items:
            work(item)
        best = min(best, time.thread_time() - began)
    return best / len(items) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24)
    args = parser.parse_args()
    frames = B.feedback_render(giro_plan(512, 20 + args.frames), PreviewEngine())[20:]
    print(f"{len(frames)} preview frames at 512x512 ({512 * 512 * 3 / 1000:.0f} KB raw), best of 3, CPU ms per frame")
    for name, encode, decode in OPTIONS:
        encoded = [encode(f) for f in frames]
        size = np.mean([len(e) for e in encoded]) / 1000
        decoding = f"decode {best_ms(decode, encoded):5.2f} ms" if decode else ""
        print(f"  {name:<44} {size:6.1f} KB  encode {best_ms(encode, frames):6.2f} ms  {decoding}")
    assert all(np.array_equal(decode_frame(encode_frame(f)), f) for f in frames)


if __name__ == "__main__":
    main()
