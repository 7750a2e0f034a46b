import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never touch the network
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SCENES = ROOT / "scenes"
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="write the golden files (plan values, error text) from the current output; review the diff")


# Test files that import torch at collection: seconds before any test runs. A quick run
# (`pytest -m "not slow"`) does not collect them; every test in them is marked slow.
TORCH_FILES = ("test_diffusion.py", "test_diffusion_models.py")


def pytest_ignore_collect(collection_path, config):
    markexpr = " ".join((config.getoption("markexpr") or "").split())
    if collection_path.name in TORCH_FILES and markexpr == "not slow":
        return True
    return None


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


def write_scene(folder: Path, text: str, name: str = "scene.ride") -> Path:
    path = folder / name
    path.write_text(text)
    return path
