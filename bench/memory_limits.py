"""Peak memory of the documented limits' worst cases (issue 10): each case runs `ride` in a child
process, capped at --cap GiB of address space, and prints its peak RSS and time.

    python bench/memory_limits.py           # the goal: every case under 500 MB

Figures on the project's 2-core machine (peak RSS; wall times, the machine shared: compare in alternating runs):
                                                   before (4 GiB cap)            after
    100 KB prompt, 100k frames: render --frames 0:2   3858 MB  MemoryError          110 MB   0.9 s
    100 KB prompt, 100k frames: plan --frames 0:1     3931 MB  MemoryError           96 MB   0.8 s
    1,000 lets, 1M frames: check                      3832 MB  MemoryError          277 MB   1.5 s
    track of 10,000 keys, 100k frames: check          3966 MB  MemoryError (R308)    89 MB   2.0 s
    58-byte 1M-frame scene: plan --format json        1043 MB  killed after 41 min  341 MB  51 s
    58-byte 1M-frame scene: render --frames 0:1       1058 MB  10.9 s               349 MB   3.8 s
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def cases(folder: Path) -> list[tuple[str, list[str]]]:
    def scene(name: str, text: str) -> str:
        path = folder / name
        path.write_text(text)
        return str(path)

    prompt = scene("long_prompt.ride", 'timeline {\n  0 "' + "a road in Tuscany " * 5600 + '"\n  100000 end\n}\n')
    lets = scene("many_lets.ride", "".join(f"let a{i} = t * {i}\n" for i in range(1000))
                 + 'timeline {\n  0 "x"\n  1000000 end\n}\n')
    track = scene("long_track.ride", "track strength {\n" + "".join(f"  {i * 10} {0.3 + (i % 7) / 20}\n" for i in range(10000))
                  + '}\ntimeline {\n  0 "x"\n  100000 end\n}\n')
    tiny = scene("million.ride", 'timeline {\n  0 "a road"\n  1000000 end\n}\n')
    return [
        ("100 KB prompt, 100k frames: render --frames 0:2", ["render", prompt, "--frames", "0:2", "--size", "64x64",
                                                            "--no-cache", "-o", str(folder / "out.mp4")]),
        ("100 KB prompt, 100k frames: plan --frames 0:1", ["plan", prompt, "--frames", "0:1"]),
        ("1,000 lets, 1M frames: check", ["check", lets]),
        ("track of 10,000 keys, 100k frames: check", ["check", track]),
        ("58-byte 1M-frame scene: plan --format json", ["plan", tiny, "--format", "json"]),
        ("58-byte 1M-frame scene: render --frames 0:1", ["render", tiny, "--frames", "0:1", "--size", "64x64",
                                                         "--no-cache", "-o", str(folder / "one.mp4")]),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=4.0, help="GiB of address space per case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ride-memory-") as tmp:
        for label, command in cases(Path(tmp)):
            # one child per case, so RUSAGE_CHILDREN's maximum is this case's alone
            code = ("import resource, subprocess, sys; done = subprocess.run(%r); "
                    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode)"
                    % ([sys.executable, "-c", "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, "
                        "(%d, resource.RLIM_INFINITY)); from ride.cli import main; sys.exit(main(%r))"
                        % (int(args.cap * 2**30), command)],))
            began = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            seconds = time.perf_counter() - began
            peak_kb, status = out.stdout.split()[-2:] if out.stdout.split() else ("0", "?")
            verdict = {"0": "ok", "1": "ride error (exit 1)"}.get(status, f"failed (exit {status})")
            if "Traceback" in out.stderr:
                verdict = "crashed: " + out.stderr.strip().splitlines()[-1][:60]
            print(f"{label:<50} peak {int(peak_kb) / 1024:>7.0f} MB  {seconds:>6.1f} s  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
