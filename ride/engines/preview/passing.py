"""What the preview camera passes: house fronts, trees and road dashes, standing in the world at fixed
log depths down the road, so they stream past a forward-moving camera in step with the warp."""

from __future__ import annotations

import math

import numpy as np

from .canvas import Canvas, over

_FACADES = np.array([(0.80, 0.64, 0.42), (0.74, 0.46, 0.32), (0.72, 0.68, 0.60), (0.87, 0.79, 0.62)])
# trees, per kind (round, cypress, poplar): crown height, half-width, half-height (camera heights), taper, colour
_TREES = np.array([(2.2, 1.2, 1.1, 0.0, 0.24, 0.42, 0.16), (2.6, 0.38, 2.2, 1.0, 0.10, 0.24, 0.12),
                   (3.0, 0.55, 2.5, 0.6, 0.33, 0.50, 0.17)])
_TREE_STEP, _HOUSE_STEP, _DASH_STEP = math.log(1.32), math.log(1.22), math.log(1.15)  # spacing in log depth


def paint_street(canvas: np.ndarray, f: dict[str, float], c: Canvas, tinted, opacity: float) -> None:
    """House fronts and the road's centre dashes."""
    width = 1.0 - 0.45 * f["path"]
    town = max(f["town_left"], f["town_right"])
    for side, amount in ((-1, f["town_left"]), (1, f["town_right"])):
        if amount > 0:
            _paint_houses(canvas, c, side, width + 0.5, amount * opacity, tinted, f["night"])
    dashed = f["road"] * (1 - f["path"]) * (1 - town) * opacity  # asphalt roads only
    if dashed > 0:
        rows = slice(max(0, int(c.vy)), c.h)
        along = c.along[rows] / _DASH_STEP
        dashes = np.clip((0.035 - np.abs(c.lateral[rows])) * c.rho[rows] * c.road + 0.5, 0, 1) * ((along % 1) < 0.45)
        over(canvas[rows], tinted((0.92, 0.92, 0.88)), dashes * c.ground[rows] * dashed)


def tree_items(canvas: np.ndarray, f: dict[str, float], c: Canvas, tinted, opacity: float) -> list:
    """The trees in view, as (screen depth scale, paint) to be painted far to near."""
    width = 1.0 - 0.45 * f["path"]
    kinds = np.array([f["round"], f["cypress"], f["poplars"]])
    shape = (kinds / kinds.sum() if kinds.sum() else np.array([1.0, 0, 0])) @ _TREES
    leaves = shape[4:] + ((0.75, 0.42, 0.12) - shape[4:]) * f["autumn"] * 0.8
    leaves = tinted(leaves + ((0.85, 0.88, 0.92) - leaves) * f["snow"] * 0.35)
    bark = tinted((0.3, 0.22, 0.15))
    travel, items = c.travel, []
    for side, amount in ((-1, f["trees_left"]), (1, f["trees_right"])):
        rows = [(width + 0.3, amount, 0.5 * (side > 0))]
        rows += [(width + 1.4, amount * f["forest"], 0.3), (width + 2.8, amount * f["forest"], 0.7)]
        for lateral, strength, shift in rows:
            if strength <= 0:
                continue
            first = math.ceil((math.log(0.03) - travel) / _TREE_STEP - shift)
            last = math.floor((math.log(2.0) - travel) / _TREE_STEP - shift)
            for j in range(first, last + 1):
                rho = math.exp(travel + (j + shift) * _TREE_STEP)
                # a morph grows trees (and fades only the first of it): no see-through ghosts
                size = 0.55 * (0.85 + 0.3 * _hash(j + 7 * side * lateral)) * (0.25 + 0.75 * strength)
                items.append((rho, _tree(canvas, c, rho, side * lateral, shape, size, leaves, bark,
                                         min(1.0, 3 * strength) * opacity)))
    return items


def _tree(canvas, c, rho, lateral, shape, size, leaves, bark, alpha):
    return lambda: _paint_tree(canvas, c, rho, lateral, shape, size, leaves, bark, alpha)


def _paint_tree(canvas, c: Canvas, rho: float, lateral: float, shape, size: float, leaves, bark, alpha) -> None:
    k = rho * c.height * size  # camera heights -> pixels at this depth
    bx, by = c.vx + rho * lateral * c.road, c.vy + rho * c.height
    cy, rx, ry = by - shape[0] * k, shape[1] * k, shape[2] * k
    x0, x1 = max(0, int(bx - rx - 1)), min(c.w, int(bx + rx + 2))
    y0, y1 = max(0, int(cy - ry - 1)), min(c.h, int(by + 1))
    if x0 >= x1 or y0 >= y1 or ry < 0.6:
        return
    xs, ys, patch = c.x[y0:y1, x0:x1], c.y[y0:y1, x0:x1], canvas[y0:y1, x0:x1]
    top = np.clip((ys - cy + ry) / (2 * ry), 0, 1)
    half = rx * (1 - shape[3] * 0.75 * (1 - top ** 0.6))  # tapering makes a cypress's flame
    crown = np.clip((1 - np.hypot((xs - bx) / half, (ys - cy) / ry)) * rx + 0.5, 0, 1)
    trunk = np.clip(0.5 + 0.06 * k - np.abs(xs - bx), 0, 1) * (ys < by) * (ys > cy)
    over(patch, bark, trunk * alpha)
    light = np.clip(1.15 - 0.35 * (xs - bx) / rx - 0.15 * top, 0.6, 1.4)[..., None]  # lit from the left
    over(patch, leaves * light, crown * alpha)
    c.cover((slice(y0, y1), slice(x0, x1)), np.maximum(crown, trunk) * alpha, 1 / rho)


def _paint_houses(canvas, c: Canvas, side: int, edge: float, alpha: float, tinted, night) -> None:
    """A street's house fronts: a wall at `edge` whose houses differ in height and colour."""
    x = c.x[0]  # on a wall along the road, each column is one depth
    rho = np.maximum(side * (x - c.vx) / (edge * c.road), 0.02)
    position = (np.log(rho) - c.travel) / _HOUSE_STEP
    house = np.floor(position)
    along, luck = position - house, _hash(house + 31 * side)
    tall, scale = 2.5 + 4.5 * luck, rho * c.height  # height in camera heights; pixels per camera height
    up = (c.vy + scale - c.y) / scale  # height above the street, in camera heights
    inside = np.clip(up * scale + 0.5, 0, 1) * np.clip((tall - up) * scale + 0.5, 0, 1) * (side * (x - c.vx) > 0)
    colour = np.repeat((_FACADES[(luck * 37).astype(int) % len(_FACADES)] * (1.0 if side < 0 else 0.82))[None],
                       c.h, axis=0)
    window = (((along * 3) % 1 > 0.35) & ((along * 3) % 1 < 0.65)) & ((up / 1.3) % 1 > 0.35) & (up > 0.9)
    colour[window & (up < tall - 0.5)] = (0.18 + 0.8 * night, 0.15 + 0.6 * night, 0.13 + 0.2 * night)
    colour[up > tall - 0.3] = (0.5, 0.27, 0.2)  # roof edge
    colour[:, along < 0.05] *= 0.7  # where one house meets the next
    over(canvas, tinted(colour), inside * alpha)
    c.cover(slice(None), inside * alpha, np.broadcast_to(1 / rho, inside.shape))


def _hash(n):
    """A fixed pseudo-random 0..1 per integer (which house, which tree)."""
    return (np.sin(np.asarray(n, dtype=np.float64) * 12.9898 + 4.1) * 43758.5453) % 1.0
