"""One job, where it runs (this process, a worker process, a Ray task): the same render session
as `ride render` of the scene alone, so its frames are the frames of that render.

`run_job` never raises for a failed job: the error comes back in the JobResult, as ride prints
it, and the other jobs go on. Ctrl-C (KeyboardInterrupt) is not a failure: it stops the job.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import replace

import numpy as np
from PIL import Image

from ..errors import RideError, format_error
from ..renderer.loop import stored_frame
from ..renderer.session import RenderSession
from .job import Job, JobResult, thumbnail_frames

THUMBNAIL_SIDE = 192  # pixels: the longer side of a frame on the contact sheet


def run_job(job: Job, output: str | None, stop: threading.Event | None = None) -> JobResult:
    """Render `job` to `output` (None: the request's own); its thumbnails for the contact sheet."""
    began = time.perf_counter()
    request = replace(job.request, output=output) if output is not None else job.request
    try:
        with RenderSession(request) as session:
            render = session.job(session.load(job.random_seed))
            wanted = set(thumbnail_frames(render.start, render.stop))
            thumbnails = {}

            def keep(event) -> None:  # frames made now; reused ones are read from the store below
                if event.image is not None and event.index in wanted:
                    thumbnails[event.index] = small(event.image)

            result = session.render(render, on_frame=keep, should_stop=stop.is_set if stop is not None else None)
            if render.store is not None:
                keys = render.plan.keys()
                for index in sorted(wanted - set(thumbnails)):
                    thumbnails[index] = small(stored_frame(render.store, keys, index))
    except RideError as error:
        return JobResult(job.number, seconds=time.perf_counter() - began, error=format_error(error))
    except Exception as error:  # a bug in ride: reported with the job, the other jobs go on
        place = traceback.extract_tb(error.__traceback__)[-1]
        return JobResult(job.number, seconds=time.perf_counter() - began,
                         error=f"this is a bug in ride: {type(error).__name__}: {error} "
                               f"(at {place.filename}:{place.lineno})")
    return JobResult(job.number, result.frames, result.reused, result.rendered, result.seconds,
                     None if result.output is None else str(result.output),
                     thumbnails=sorted(thumbnails.items()), warnings=list(result.warnings))


def small(image: np.ndarray) -> np.ndarray:
    picture = Image.fromarray(image)
    picture.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    return np.asarray(picture)
