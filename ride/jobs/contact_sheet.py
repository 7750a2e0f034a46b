"""The contact sheet of a sweep: a row per job, a few of its frames, labelled with its values."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .job import Job, JobResult

LABEL = 22  # pixels above each row for its values
GAP = 4
BACKGROUND = (24, 24, 24)


def contact_sheet(rows: list[tuple[Job, JobResult]]) -> Image.Image:
    """Rows in job order; a failed job's row says so instead of showing frames."""
    images = [[image for _, image in result.thumbnails] for _, result in rows]
    cell_w = max((i.shape[1] for row in images for i in row), default=128)
    cell_h = max((i.shape[0] for row in images for i in row), default=72)
    columns = max((len(row) for row in images), default=1) or 1
    width = GAP + columns * (cell_w + GAP)
    height = GAP + len(rows) * (LABEL + cell_h + GAP)
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=14)
    for r, ((job, result), row) in enumerate(zip(rows, images)):
        top = GAP + r * (LABEL + cell_h + GAP)
        values = " ".join(f"{v.name}={v.value}" for v in job.values) or job.label
        frames = ", ".join(str(index) for index, _ in result.thumbnails)
        text = f"{values}   (frames {frames})" if frames else values
        draw.text((GAP, top + 3), text, fill=(235, 235, 235), font=font)
        if result.error:
            draw.text((GAP, top + LABEL + 4), "failed: " + result.error.splitlines()[0][:120],
                      fill=(240, 110, 110), font=font)
        for c, image in enumerate(row):
            sheet.paste(Image.fromarray(np.asarray(image, np.uint8)), (GAP + c * (cell_w + GAP), top + LABEL))
    return sheet


def write_contact_sheet(path: Path, rows: list[tuple[Job, JobResult]]) -> Path:
    """Written whole or not at all (a temporary file renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        contact_sheet(rows).save(temporary, format="JPEG", quality=90)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
