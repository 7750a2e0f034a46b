"""The preview engine's pictures in the docs, drawn from the gallery with the real renderer.

    .venv/bin/python bench/docs_stills.py        # writes docs/img/giro_strip.jpg, giro_frame75.jpg, train_strip.jpg
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

import ride

ROOT = Path(__file__).resolve().parent.parent
IMG = ROOT / "docs" / "img"


def frames(scene: str, picks: list[int]) -> list[np.ndarray]:
    out: dict[int, np.ndarray] = {}
    ride.render(ROOT / "scenes" / scene, frames=(0, max(picks) + 1), engine="preview", write_video=False,
                use_cache=False, on_frame=lambda event: out.setdefault(event.index, event.image))
    return [out[i] for i in picks]


def strip(images: list[np.ndarray], height: int) -> Image.Image:
    parts = [Image.fromarray(i).resize((round(i.shape[1] * height / i.shape[0]), height), Image.Resampling.LANCZOS)
             for i in images]
    out = Image.new("RGB", (sum(p.width for p in parts), height))
    x = 0
    for part in parts:
        out.paste(part, (x, 0))
        x += part.width
    return out


def main() -> None:
    giro = frames("giro.ride", [0, 40, 75, 125, 200, 240])
    strip(giro, 160).save(IMG / "giro_strip.jpg", quality=85)
    Image.fromarray(giro[2]).save(IMG / "giro_frame75.jpg", quality=88)
    strip(frames("train.ride", [0, 12, 24, 36]), 144).save(IMG / "train_strip.jpg", quality=85)


if __name__ == "__main__":
    main()
