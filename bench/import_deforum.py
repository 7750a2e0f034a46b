"""Import speed: `ride import deforum` on every settings file in tests/data/deforum/, and on a
generated 10,000-frame file with 100 keys a schedule and a backtick prompt (a timeline key a frame).

Prints, per file, the frames, the time to import and the time to compile the scene it gives.
Run: python bench/import_deforum.py
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from ride.compile.compiler import compile_text
from ride.errors import RideError
from ride.importers.deforum import import_deforum

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "deforum"


def big_file(folder: Path) -> Path:
    frames = 10_000
    keys = ", ".join(f"{k * 100}: ({'0.65' if k % 2 else '0.5+0.1*sin(t/7)'})" for k in range(100))
    settings = {"W": 512, "H": 512, "max_frames": frames, "seed": 1, "seed_behavior": "iter",
                "deforum_git_commit_id": "bench", "animation_mode": "2D", "strength_schedule": keys,
                "zoom": keys.replace("0.65", "1.01").replace("0.5+", "1+"), "angle": keys,
                "prompts": {"0": "a field (flowers:`1+0.5*sin(t/10)`)", "5000": "a lake --neg fog"}}
    path = folder / "big_settings.txt"
    path.write_text(json.dumps(settings), encoding="utf-8")
    return path


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        files = sorted(p for p in DATA.iterdir() if p.suffix in (".txt", ".json")) + [big_file(Path(folder))]
        print(f"{'file':<60} {'frames':>7} {'import s':>9} {'compile s':>10}")
        for path in files:
            start = time.perf_counter()
            try:
                imported = import_deforum(path)
            except RideError as error:
                print(f"{path.name[:60]:<60} {'error':>7}  {error.problems[0].code}")
                continue
            middle = time.perf_counter()
            try:
                compile_text(imported.text, "scene.ride")
                compiled = f"{time.perf_counter() - middle:10.3f}"
            except RideError:
                compiled = " (3D: needs the 3D camera)"
            print(f"{path.name[:60]:<60} {imported.frames:>7} {middle - start:9.3f} {compiled}")


if __name__ == "__main__":
    main()
