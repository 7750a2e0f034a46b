"""The warp kernel: an image (or any array: noise, depth) resampled at given source positions.

Both the 2D camera and the 3D depth warp end here, in OpenCV's remap (a precomputed inverse map) or
warpAffine (the same, with the map implied by a matrix), which sample in C with the border rule built in:
no padding, no copies. Frames are sampled by a kernel that keeps detail over hundreds of feedback
frames: OpenCV's bicubic (a = -0.75) alone sharpens a little on every pass, so that repeated warps grow
ringing, and bilinear alone blurs; 2/3 bicubic + 1/3 bilinear does neither (bench/warp_speed.py measures
both). Everything here is deterministic: the same input gives the same bytes, run to run.

Positions are in source pixel indices (pixel i's centre at i): OpenCV's convention. The camera's own
matrices use pixel edges (centres at +0.5); `index_matrix` converts.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

BORDERS = ("reflect", "replicate")
_BORDER = {"reflect": cv2.BORDER_REFLECT, "replicate": cv2.BORDER_REPLICATE}  # reflect mirrors about the edge
DETAIL, LINEAR, NEAREST = "detail", "linear", "nearest"
_CUBIC_SHARE = 2.0 / 3.0
# A source more than this many pixels per output pixel is first halved (and halved again): a far zoom out
# (a loop anchor after hundreds of frames of zooming in) would otherwise alias.
_MAX_FOOTPRINT = 2.0


def check_border(border: str) -> int:
    if border not in BORDERS:
        raise ValueError(f"unknown border '{border}'; expected one of: {', '.join(BORDERS)}")
    return _BORDER[border]


def index_matrix(inverse: np.ndarray) -> np.ndarray:
    """A 3x3 inverse map in pixel-edge coordinates (centres at +0.5) as one in pixel indices."""
    to_edges = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
    to_indices = np.array([[1.0, 0.0, -0.5], [0.0, 1.0, -0.5], [0.0, 0.0, 1.0]])
    return to_indices @ inverse @ to_edges


def warp_affine(array: np.ndarray, inverse: np.ndarray, width: int, height: int, border: str = "reflect",
                interpolation: str = DETAIL) -> np.ndarray:
    """`array` sampled at `inverse` (3x3, pixel edges) of every output pixel: output (height, width)."""
    code = check_border(border)
    array, inverse = _reduced(array, inverse, width, height)
    matrix = index_matrix(inverse)[:2]

    def sample(flag: int) -> np.ndarray:
        return cv2.warpAffine(array, matrix, (width, height), flags=flag | cv2.WARP_INVERSE_MAP, borderMode=code)

    return _by_kernel(sample, interpolation, array)


def warp_perspective(array: np.ndarray, inverse: np.ndarray, width: int, height: int, border: str = "reflect",
                     interpolation: str = DETAIL) -> np.ndarray:
    """As warp_affine, for a 3x3 `inverse` that may be a perspective map (an affine one goes there)."""
    if inverse[2, 0] == 0.0 and inverse[2, 1] == 0.0:
        return warp_affine(array, inverse / inverse[2, 2], width, height, border, interpolation)
    code = check_border(border)
    array, inverse = _reduced(array, inverse, width, height)
    matrix = index_matrix(inverse)

    def sample(flag: int) -> np.ndarray:
        return cv2.warpPerspective(array, matrix, (width, height), flags=flag | cv2.WARP_INVERSE_MAP,
                                   borderMode=code)

    return _by_kernel(sample, interpolation, array)


def remap(array: np.ndarray, map_x: np.ndarray, map_y: np.ndarray, border: str = "reflect",
          interpolation: str = DETAIL) -> np.ndarray:
    """`array` (H0, W0[, C], uint8 or float32) sampled at (map_x, map_y) (each float32 (H, W), pixel
    indices): output (H, W[, C]). Positions outside the array follow the border rule."""
    code = check_border(border)
    footprint = _map_footprint(map_x, map_y)
    if footprint > _MAX_FOOTPRINT:
        map_x, map_y = map_x.copy(), map_y.copy()
    while footprint > _MAX_FOOTPRINT and min(array.shape[:2]) > 1:
        array, scale_x, scale_y = _halved(array)
        # pixel index i of the source is (i + 0.5) * scale - 0.5 in the halved one
        map_x *= np.float32(scale_x)
        map_x += np.float32(0.5 * scale_x - 0.5)
        map_y *= np.float32(scale_y)
        map_y += np.float32(0.5 * scale_y - 0.5)
        footprint /= 2

    def sample(flag: int) -> np.ndarray:
        if array.ndim == 3 and array.shape[2] > 4:  # OpenCV samples at most 4 channels at once
            return np.concatenate([cv2.remap(np.ascontiguousarray(array[..., i:i + 4]), map_x, map_y, flag,
                                             borderMode=code).reshape(map_x.shape + (-1,))
                                   for i in range(0, array.shape[2], 4)], axis=2)
        return cv2.remap(array, map_x, map_y, flag, borderMode=code)

    return _by_kernel(sample, interpolation, array)


def _by_kernel(sample, interpolation: str, array: np.ndarray) -> np.ndarray:
    if interpolation == NEAREST:
        out = sample(cv2.INTER_NEAREST)
    elif interpolation == LINEAR:
        out = sample(cv2.INTER_LINEAR)
    elif interpolation == DETAIL:
        out = cv2.addWeighted(sample(cv2.INTER_CUBIC), _CUBIC_SHARE, sample(cv2.INTER_LINEAR), 1.0 - _CUBIC_SHARE, 0.0)
    else:
        raise ValueError(f"unknown interpolation '{interpolation}'")
    if out.ndim == 2 and array.ndim == 3:  # OpenCV drops a single channel's axis
        out = out[..., None]
    return out


def _reduced(array: np.ndarray, inverse: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """The source halved (and halved again) while one output pixel spans more than _MAX_FOOTPRINT of
    its pixels at the frame's centre, and the 3x3 inverse map (pixel edges) that reads it."""
    centre = np.array([[width / 2, width / 2 + 1, width / 2], [height / 2, height / 2, height / 2 + 1], [1, 1, 1]])
    mapped = inverse @ centre
    if np.any(np.abs(mapped[2]) < 1e-12):
        return array, inverse
    points = mapped[:2] / mapped[2]
    footprint = float(max(np.hypot(*(points[:, 1] - points[:, 0])), np.hypot(*(points[:, 2] - points[:, 0]))))
    while footprint > _MAX_FOOTPRINT and min(array.shape[:2]) > 1:
        array, scale_x, scale_y = _halved(array)
        inverse = np.diag([scale_x, scale_y, 1.0]) @ inverse
        footprint /= 2
    return array, inverse


def _halved(array: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The array at half size (area-averaged), and the scale from its pixels to the new ones."""
    height, width = array.shape[:2]
    new_width, new_height = max(1, (width + 1) // 2), max(1, (height + 1) // 2)
    smaller = cv2.resize(array, (new_width, new_height), interpolation=cv2.INTER_AREA)
    if smaller.ndim == 2 and array.ndim == 3:
        smaller = smaller[..., None]
    return smaller, new_width / width, new_height / height


def _map_footprint(map_x: np.ndarray, map_y: np.ndarray) -> float:
    """How many source pixels one output pixel spans, typically (the median over a sparse grid)."""
    step = max(1, min(map_x.shape) // 32)
    xs, ys = map_x[::step, ::step], map_y[::step, ::step]
    if xs.shape[0] < 2 or xs.shape[1] < 2:
        return 1.0
    across = np.hypot(np.diff(xs, axis=1), np.diff(ys, axis=1)) / step
    down = np.hypot(np.diff(xs, axis=0), np.diff(ys, axis=0)) / step
    value = float(max(np.median(across), np.median(down)))
    return value if math.isfinite(value) else 1.0
