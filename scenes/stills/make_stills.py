"""The stills scenes/train.ride mixes in (128x96 PNG): a dusk palette, a snowy field, a green valley.

Painted from gradients and shapes, so the repository holds no photographs. They are committed;
run this again only to change them:  .venv/bin/python scenes/stills/make_stills.py
"""
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

HERE = Path(__file__).resolve().parent
W, H = 128, 96
y, x = np.mgrid[0:H, 0:W] / np.array([H, W])[:, None, None]
rng = np.random.default_rng(7)


def lerp(a, b, t):
    return np.asarray(a)[None, None] + (np.asarray(b) - np.asarray(a))[None, None] * t[..., None]


def save(name, img):
    im = Image.fromarray(np.uint8(np.clip(img, 0, 1) * 255 + 0.5)).filter(ImageFilter.SMOOTH)
    im.save(HERE / f"{name}.png", optimize=True)


# dusk: violet zenith to orange horizon, a low sun, dark hills
sky = lerp((0.22, 0.16, 0.42), (0.98, 0.55, 0.25), np.clip(y / 0.62, 0, 1))
sun = np.exp(-(((x - 0.68) / 0.08) ** 2 + ((y - 0.55) / 0.1) ** 2))
img = sky + sun[..., None] * np.array([0.4, 0.3, 0.1])
hill = 0.62 + 0.06 * np.sin(x * 9) + 0.03 * np.sin(x * 23 + 1)
img = np.where((y > hill)[..., None], lerp((0.16, 0.09, 0.2), (0.08, 0.05, 0.1), y), img)
save("dusk", img)

# snow: pale grey-blue sky, white field with blue shadows, a dark treeline
sky = lerp((0.62, 0.70, 0.82), (0.88, 0.9, 0.94), np.clip(y / 0.45, 0, 1))
field = lerp((0.93, 0.95, 0.98), (0.78, 0.84, 0.95), np.clip((y - 0.45) / 0.55, 0, 1))
field += (0.03 * np.sin(x * 40 + y * 13))[..., None]
img = np.where((y > 0.45)[..., None], field, sky)
trees = (y > 0.45 - 0.07 * np.abs(np.sin(x * 61)) - 0.02) & (y < 0.47)
img[trees] = (0.18, 0.22, 0.24)
save("snow", img)

# valley: blue sky, green slopes meeting in a V, a river of light in the middle
sky = lerp((0.35, 0.58, 0.9), (0.75, 0.87, 0.97), np.clip(y / 0.4, 0, 1))
slope = 0.3 + 0.9 * np.abs(x - 0.5) * (1 - 0.3 * np.sin(x * 7))
ground = lerp((0.38, 0.62, 0.22), (0.16, 0.42, 0.14), np.clip((y - 0.3) / 0.7, 0, 1))
ground += (0.02 * rng.standard_normal((H, W)))[..., None]
img = np.where((y > 0.75 - 0.55 * np.abs(x - 0.5) * 1.4)[..., None], ground, sky)
river = np.abs(x - 0.5) < 0.02 + 0.25 * np.clip(y - 0.6, 0, 1)
img[river & (y > 0.6)] = (0.62, 0.78, 0.88)
save("valley", img)
