"""`--ray [ADDRESS]`: jobs as Ray tasks, one CPU (or one GPU) each. The only module that imports ray.

`--ray local` starts a Ray instance on this machine for the run; `--ray` alone joins the cluster
this machine belongs to (`ray start` was run here, or RAY_ADDRESS is set); `--ray ADDRESS` joins
that one (`ray://head:10001` through Ray Client, or `head:6379`). Each task runs `work.run_job`,
the same as a local worker, so the nodes need ride installed and the frame cache (`--cache`)
at the same path on every node (a shared folder): that is how jobs share frames.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import Future

from ..errors import Problem, RideError
from .job import Job
from .work import run_job

LOCAL_CPUS = 2  # `--ray local` without --jobs


class RayTasks:
    def __init__(self, address: str | None, workers: int | None = None, gpus: float = 0.0) -> None:
        # before ray is imported: it reads its configuration then
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report leaves the machine
        if address == "local" and "ray" not in sys.modules:
            # a private instance on this machine, with token authentication (Ray's default for
            # local clusters since 2.59, said explicitly so every version behaves the same). Only
            # before ray is imported: a driver that read another mode would not reach its own GCS.
            os.environ.setdefault("RAY_AUTH_MODE", "token")
        try:
            import ray
        except ImportError:
            raise RideError(Problem("--ray needs Ray: pip install 'ride[ray]'", code="R746")) from None
        self._ray = ray
        try:
            if address == "local":
                ray.init(address="local", num_cpus=workers or LOCAL_CPUS, include_dashboard=False,
                         log_to_driver=False)
            else:
                ray.init(address=address or "auto", log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise RideError(Problem(f"--ray {address or ''}: cannot reach a Ray cluster: {error}".replace("  ", " "),
                                    hint="start one with `ray start --head`, name its address, or use --ray local",
                                    code="R747")) from None
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.slots = workers or max(1, cpus)
        self._task = ray.remote(num_cpus=1, num_gpus=gpus, max_retries=0)(run_job)
        self._refs = []

    def submit(self, job: Job, output: str | None) -> Future:
        ref = self._task.remote(job, output)
        self._refs.append(ref)
        return ref.future()

    def stop(self) -> None:
        for ref in self._refs:  # a task stopped mid-frame leaves the frames before it in the store
            try:
                self._ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 - an ended task cannot be cancelled: nothing to do
                pass
        self.close()

    def close(self) -> None:
        if self._ray.is_initialized():
            self._ray.shutdown()
