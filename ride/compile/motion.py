"""Step 7b of compiling: the camera motion the renderer will compose, bounded at check time.

Each frame's zoom is range-checked alone (the settings table); but the renderer multiplies
motions together: the frames between two diffused frames (`cadence`), and, for loop closure,
every frame still to come (frame 0 as the last frames must see it). `zoom 100` with
`loop close 399` multiplies to 100^400, past float range, and the render would meet NaN. So
the products are bounded here, on the zoom (pan and rotation do not grow a product: each
frame's pan is bounded by the table, and a bounded zoom keeps their sums finite).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import Diagnostics, Span

# The most the composed zoom may grow or shrink: the renderer's warps are exact well beyond
# this (a product of 1e12 is a whole frame shrunk to far below one pixel), and float64 is too.
MAX_COMPOSED_ZOOM = 1e12


def check_composed_motion(zoom: np.ndarray, diffuse: np.ndarray, loop_frames: int, span: Span,
                          diagnostics: Diagnostics) -> None:
    """Report (once, at `span`) a product of zooms the renderer would compose beyond the bound."""
    if zoom.size == 0 or not np.all(zoom > 0):
        return  # a zoom out of its range is reported as such
    limit = math.log(MAX_COMPOSED_ZOOM)
    steps = np.log(zoom)
    total = np.concatenate(([0.0], np.cumsum(steps)))  # total[k + 1] - total[j + 1] = frames j+1..k
    length = zoom.size
    frames = np.arange(length)
    diffused = np.flatnonzero(diffuse)
    worst, where = 0.0, ""
    if 0 < diffused.size < length:  # each frame from the last diffused frame before it, and back from the next
        before = diffused[np.clip(np.searchsorted(diffused, frames, side="left") - 1, 0, None)]
        after = diffused[np.clip(np.searchsorted(diffused, frames, side="left"), None, diffused.size - 1)]
        spread = np.maximum(np.abs(total[frames + 1] - total[before + 1]), np.abs(total[after + 1] - total[frames + 1]))
        k = int(np.argmax(spread))
        worst, where = float(spread[k]), f"between the diffused frames around frame {k} (cadence)"
    if loop_frames:  # frame 0 carried by frames i+1 .. n-1 and the cut back to frame 0
        start = length - loop_frames
        remaining = np.abs(total[length] - total[frames[start:] + 1] + steps[0])
        k = int(np.argmax(remaining))
        if remaining[k] > worst:
            worst, where = float(remaining[k]), f"from frame {start + k} to the loop's end (loop close)"
    if worst > limit:
        diagnostics.error("R319", f"the camera's zoom multiplies to {math.exp(min(worst, 700.0)):.3g}x {where}",
                          span, f"the renderer composes these frames' motion: keep the product within "
                                f"{MAX_COMPOSED_ZOOM:g}x either way (a gentler zoom, or a shorter loop close or cadence)")


def check_flat_wall(move_z: np.ndarray, depth_kind: str, depth: str, span: Span, diagnostics: Diagnostics) -> None:
    """Against a flat wall (`depth 100`, `depth none`), a frame's forward move must stop short of it:
    `move 0, 0, m` is `zoom D/(D-m)`, which has no meaning at m >= D."""
    if depth_kind not in ("flat", "none") or move_z.size == 0:
        return
    wall = float(depth) if depth_kind == "flat" else 100.0
    through = np.flatnonzero(move_z >= wall)
    if through.size:
        frame = int(through[0])
        reach = float(move_z[frame])
        diagnostics.error("R383", f"the camera moves {reach:g} forward on frame {frame}, through the flat wall "
                                  f"{wall:g} away (`depth {depth or 'none'}`)", span,
                          f"move less than {wall:g} a frame (`move 0, 0, m` is `zoom {wall:g}/({wall:g}-m)`), "
                          "or set a farther `depth`")
