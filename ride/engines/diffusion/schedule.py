"""img2img schedules in which a frame's strength means what it says: the first denoising step lands at
`strength` of the noise, on every scheduler.

diffusers' img2img runs the last int(steps * strength) steps of a `steps`-step schedule. With the
"leading" spacing SD 1.5, SD 2 and SDXL ship, that first step is near (int(steps*strength) - 1) / steps,
not strength (20 steps at 0.5 start at t=451, 2 steps at 0.5 at t=1: nothing repainted). So:

- schedulers that take their own timesteps and ignore the spacing (LCM, TCD: a 50-step distillation
  grid, at most 50 steps) get explicit timesteps: k steps evenly spaced from strength * T down;
- every other scheduler (PNDM, DDIM, Euler, DPM++... most take no custom timesteps) runs with
  "trailing" spacing and the number of inference steps N chosen so that its own schedule, cut to the
  last k steps, starts closest to strength * T. The scheduler's own timesteps are searched (a handful
  of set_timesteps calls, once per (steps, strength)), so order-2 and PLMS schedules come out right.

k is int(steps * strength), at least 1, and one or two more when no N puts the first step within 20%
of strength (2 steps at strength 0.7: 2 steps of a 3-step schedule, t=666). Karras sigmas cluster at
low noise by design: a short cut of them starts lower, and is the one case left below strength.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from diffusers import LCMScheduler, TCDScheduler

_CLOSE = 0.2  # how far (relative) the first timestep may land from strength * T before k grows


@dataclass(frozen=True)
class Schedule:
    """What the img2img pipeline is called with, and the first UNet timestep that gives."""

    steps: int  # num_inference_steps
    strength: float  # the strength passed, so that int(steps * strength) is exactly the steps run
    timesteps: tuple[int, ...] | None  # explicit timesteps (LCM, TCD), else None
    first: float  # the first UNet timestep


class Schedules:
    """The img2img schedules of one scheduler, each worked out once."""

    def __init__(self, scheduler):
        self.explicit = isinstance(scheduler, (LCMScheduler, TCDScheduler))
        self.train = scheduler.config.num_train_timesteps
        # The scheduler the pipeline runs img2img with: the same one, trailing spacing.
        self.scheduler = scheduler if self.explicit else type(scheduler).from_config(
            scheduler.config, timestep_spacing="trailing")
        self._probe = None if self.explicit else type(scheduler).from_config(self.scheduler.config)
        self._memo: dict[tuple[int, float], Schedule] = {}

    def img2img(self, steps: int, strength: float) -> Schedule:
        key = (max(1, steps), strength)
        if key not in self._memo:
            self._memo[key] = (self._explicit if self.explicit else self._searched)(*key)
        return self._memo[key]

    def _explicit(self, steps: int, strength: float) -> Schedule:
        count = min(max(1, int(steps * strength + 1e-9)), self.scheduler.config.original_inference_steps)
        top = strength * self.train
        timesteps = sorted({max(0, round(top * (count - i) / count) - 1) for i in range(count)}, reverse=True)
        return Schedule(len(timesteps), 1.0, tuple(timesteps), float(timesteps[0]))

    def _searched(self, steps: int, strength: float) -> Schedule:
        target = strength * self.train - 1
        count = max(1, int(steps * strength + 1e-9))
        best = None
        for k in range(count, count + 3):
            for n in self._candidates(k, strength):
                first = self._first(n, k)
                miss = abs(first - target)
                if best is None or miss < best[0] - 1e-9:
                    best = (miss, n, k, first)
            if best[0] <= _CLOSE * max(target, 1):
                break
        _, n, k, first = best
        return Schedule(n, 1.0 if k >= n else (k + 0.5) / n, None, first)

    def _candidates(self, k: int, strength: float) -> list[int]:
        """Schedule lengths around k / strength, and around (k + 1) / strength for schedules whose cut
        starts a step early (PLMS repeats its first timestep: the last k steps begin one further back)."""
        near = {n for j in (k, k + 1) for n in range(math.floor(j / strength) - 1, math.ceil(j / strength) + 2)}
        return sorted(n for n in near if k <= n <= self.train)

    def _first(self, n: int, k: int) -> float:
        """The first timestep img2img runs of an n-step schedule cut to its last k steps (as get_timesteps)."""
        self._probe.set_timesteps(n)
        timesteps = self._probe.timesteps
        return float(timesteps[(n - k) * self._probe.order])
