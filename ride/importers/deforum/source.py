"""A Deforum settings file read: its values, and which of Deforum's formats wrote it.

Deforum writes its settings as JSON, in `.txt` files as often as `.json`: the Colab notebook
(deforum-stable-diffusion), the A1111 extension's "save settings" button (UI-saved: the global
positive/negative prompts kept apart) and its copy of every run (run-saved: the prompts already
merged with them), and Parseq manifests (per-frame values in `rendered_frames`). Every mistake is
a RideError positioned at the key in the file, naming the key and its value.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ...errors import Problem, RideError, Span

COLAB = "colab"
WEBUI = "webui"
PARSEQ = "parseq"
MAX_BYTES = 20 * 2**20  # a settings file is a few KB; a Parseq manifest of 100,000 frames some MB


@dataclass(frozen=True)
class DeforumFile:
    """A settings file's values, its text (for positions) and the format that wrote it."""

    path: str
    text: str
    data: dict
    format: str  # COLAB | WEBUI | PARSEQ
    description: str  # for the scene's header: "Deforum A1111 extension (commit d8764419), saved from the UI"
    run_saved: bool = False  # the prompts already hold the global positive/negative prompts

    def get(self, key: str, default=None):
        return self.data.get(key, default)

    def fail(self, key: str, message: str, hint: str = "", code: str = "R391") -> RideError:
        """An error at `key`'s line in the file: `path:line:col: error: key: "value": message`."""
        return RideError(Problem(message, self.span_of(key), hint, self.path, code), self.text, self.path)

    def span_of(self, key: str) -> Span:
        match = re.search(r'"' + re.escape(key) + r'"\s*:', self.text)
        if not match:
            return Span(0, 0, 0, 0)
        line = self.text.count("\n", 0, match.start()) + 1
        col = match.start() - (self.text.rfind("\n", 0, match.start()) + 1) + 1
        return Span(line, col, line, col + len(key) + 2)


def read_settings(path: str | Path) -> DeforumFile:
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise RideError(Problem(f"cannot read {name}: {error.strerror or error}", path=name, code="R591")) from None
    if len(raw) > MAX_BYTES:
        raise RideError(Problem(f"{name} is {len(raw) // 2**20} MB: too large for a Deforum settings file",
                                path=name, code="R591", hint="a settings file or Parseq manifest is a few MB at most"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # old Windows saves; every byte is a character
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        problem = Problem(f"not a Deforum settings file: {error.msg} (it is not JSON)",
                          Span.point(error.lineno, error.colno), "Deforum saves its settings as JSON, in a "
                          ".txt or .json file; open it and check it is the whole file", name, "R592")
        raise RideError(problem, text, name) from None
    if not isinstance(data, dict):
        raise RideError(Problem("not a Deforum settings file: the JSON is not an object of settings",
                                Span.point(1, 1), "", name, "R592"), text, name)
    return _identify(name, text, data)


def _identify(name: str, text: str, data: dict) -> DeforumFile:
    if "rendered_frames" in data:
        meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
        version = meta.get("version")
        return DeforumFile(name, text, data, PARSEQ, "Parseq manifest" + (f" (Parseq {version})" if version else ""))
    prompts = data.get("prompts")
    webui_keys = ("animation_prompts_positive", "deforum_git_commit_id", "sd_model_name",
                  "override_these_with_webui", "positive_prompts")
    if isinstance(prompts, dict) or any(k in data for k in webui_keys):
        commit = data.get("deforum_git_commit_id")
        run_saved = isinstance(data.get("positive_prompts"), str) and "animation_prompts_positive" not in data
        how = "a run's saved settings" if run_saved else "saved from the UI"
        version = f" (commit {commit})" if commit and commit != "Unknown" else ""
        return DeforumFile(name, text, data, WEBUI, f"Deforum A1111 extension{version}, {how}", run_saved)
    if any(isinstance(data.get(k), dict) for k in ("animation_prompts", "cond_prompts")) or "max_frames" in data:
        return DeforumFile(name, text, data, COLAB, "Deforum Colab notebook (deforum-stable-diffusion)")
    raise RideError(Problem("not a Deforum settings file: it has no prompts, animation_prompts or max_frames",
                            Span.point(1, 1), "give the settings file Deforum saved (deforum_settings.txt or "
                            "<batch>_settings.txt) or a Parseq manifest (.json)", name, "R592"), text, name)
