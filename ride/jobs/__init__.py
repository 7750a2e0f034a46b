"""Many renders: scenes times `--set` sweeps, run here, in worker processes or on a Ray cluster.

    jobs = make_jobs(["a.ride"], [(SettingOverride("seed", "1"),), (SettingOverride("seed", "2"),)],
                     RenderRequest("a.ride"))
    planned, failed = plan_jobs(jobs)            # keys, stores, outputs; who shares frames with whom
    results = run_jobs(planned, Processes(2))    # every job to its end; a failure stays its own

job.py (the jobs, their outputs' names), work.py (one job, wherever it runs), schedule.py (the
shared frame cache: frames in common rendered once), local.py and ray_tasks.py (runners),
contact_sheet.py (a sweep's frames side by side). Only ray_tasks.py imports ray.
"""
