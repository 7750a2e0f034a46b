"""Music drives the scene (compile/music.py): `bpm auto`'s detected beats, the curves as
expression variables, the errors. The analysis is injected here (a fixed Analysis), so these
tests need no librosa; test_audio_analysis.py analyses real (synthetic) audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ride
from ride.audio import CURVES, Analysis, MissingAudioLibrary, UnreadableAudio
from ride.compile.curves import TIME_VARIABLES
from ride.compile.expressions import MUSIC_VARIABLES
from ride.compile.music import BeatGrid, frame_curves
from ride.errors import RideError

RATE = 100.0  # analysis values per second in these tests


def analysis(beats=(), seconds: float = 10.0, tempo: float | None = None, silent: bool = False, **curves) -> Analysis:
    count = int(seconds * RATE)
    values = {name: np.asarray(curves.get(name, np.zeros(count)), dtype=float) for name in CURVES}
    beats = np.asarray(beats, dtype=float)
    if tempo is None:
        tempo = 60.0 / np.diff(beats).mean() if len(beats) > 1 else 0.0
    return Analysis(RATE, seconds, tempo, beats, values, silent)


class FixedAnalyzer:
    """An Analyzer that answers with one analysis (or raises), and counts its calls."""

    def __init__(self, answer):
        self.answer, self.calls = answer, 0

    def analyse(self, data: bytes, digest: str, base: Path | None) -> Analysis:
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def compile_with(text: str, folder: Path, answer, audio: bool = True) -> ride.Plan:
    if audio:
        (folder / "song.wav").write_bytes(b"RIFF....WAVE")  # the fake analyzer never decodes it
    return ride.compile_text(text, str(folder / "scene.ride"), analyzer=FixedAnalyzer(answer))


# beats every 0.5 s from 0.25 s, then slower: 0.25 0.75 ... 4.25, then every 0.6 s
BEATS = np.concatenate([0.25 + 0.5 * np.arange(9), 4.25 + 0.6 * np.arange(1, 6)])


def test_the_music_variables_are_time_variables_and_the_analysis_curves():
    assert set(MUSIC_VARIABLES) <= set(TIME_VARIABLES)
    assert tuple(MUSIC_VARIABLES) == tuple(CURVES)


def test_a_beat_grid_interpolates_between_detected_beats_and_extrapolates_at_the_tempo():
    grid = BeatGrid(np.array([1.0, 1.5, 2.5]), tempo=120.0)
    assert grid.seconds(0) == 1.0 and grid.seconds(2) == 2.5
    assert grid.seconds(1.5) == pytest.approx(2.0)  # halfway between detected beats 1 and 2
    assert grid.seconds(-1) == pytest.approx(0.5)  # before the first: at 120 bpm
    assert grid.seconds(4) == pytest.approx(3.5)  # after the last: at 120 bpm
    times = np.linspace(-2, 6, 33)
    assert np.allclose(grid.seconds(grid.beat_at(times)), times)


def test_bpm_auto_puts_nb_at_detected_beat_n_counting_the_first_as_0b(tmp_path):
    text = """fps 12
bpm auto
audio "song.wav"
timeline {
  0 "a"
  8b "b"
  +2b "c" morph 2b
  12b "d"
  16b end
}
"""
    plan = compile_with(text, tmp_path, analysis(BEATS))

    def first(prompt):  # the frame a key's prompt has fully arrived
        return next(i for i, c in enumerate(plan.conditioning)
                    if c.sources[0].source.value == prompt and c.morph is None)

    sec = 1 / 12
    assert first("b") == round(BEATS[8] / sec)  # 8b: the ninth beat, 4.25 s (frame 51), not 8 * 0.5 s
    assert first("c") == round(BEATS[10] / sec)  # +2b: two detected beats later, where beats are 0.6 s apart
    assert first("d") == round(BEATS[12] / sec)
    # morph 2b arrives over the two detected beats before its key: from beat 8's frame
    morphing = [i for i in range(len(plan)) if plan.conditioning[i].morph is not None]
    assert morphing[0] == round(BEATS[8] / sec) + 1
    period = 60 / analysis(BEATS).tempo  # the detected tempo (here the mean beat)
    assert len(plan) == round((BEATS[-1] + 3 * period) / sec)  # 16b: 3 beats past the last (13), at the tempo
    assert plan.settings.bpm == pytest.approx(analysis(BEATS).tempo)
    assert plan.conditioning[0].sources[0].source.value == "a"  # frame 0 is still the video's start


def test_beat_counts_detected_beats_and_tracks_key_on_them(tmp_path):
    text = """fps 100
bpm auto
audio "song.wav"
track strength {
  0  0.2
  1b 0.4
  2b 0.8
}
timeline {
  0 "a"
  8s end
}
"""
    plan = compile_with(text, tmp_path, analysis(BEATS))
    strength = plan.columns["strength"]
    assert strength[50] == pytest.approx(0.2 + 0.2 * 50 / 75, abs=1e-6)  # 0b is at 0.25 s (frame 25), 1b at 0.75 s
    assert strength[75] == pytest.approx(0.4) and strength[125] == pytest.approx(0.8)
    beat_text = text.replace("track strength {\n  0  0.2\n  1b 0.4\n  2b 0.8\n}", "guidance 10 + frac(beat)")
    guidance = compile_with(beat_text, tmp_path, analysis(BEATS)).columns["guidance"]
    assert guidance[25] == pytest.approx(10.0) and guidance[50] == pytest.approx(10.5)
    assert guidance[500] == pytest.approx(10 + (8 + (5 - 4.25) / 0.6) % 1, abs=1e-6)  # between 0.6 s beats


def test_the_curves_are_values_per_frame_in_any_setting(tmp_path):
    onset = np.zeros(1000)
    onset[[130, 260]] = 1.0  # two hits, at 1.3 s and 2.6 s
    level = np.linspace(0, 1, 1000)
    text = """fps 10
audio "song.wav"
strength 0.3 + 0.2*level
seed 7 + 100*onset
camera {
  zoom 1 + 0.02*onset
}
timeline {
  0 "a"
  40 end
}
"""
    plan = compile_with(text, tmp_path, analysis(level=level, onset=onset))
    zoom = plan.columns["zoom"]
    assert np.flatnonzero(zoom > 1).tolist() == [13, 26]  # the frames whose tenth of a second holds a hit
    assert zoom[13] == pytest.approx(1.02)
    assert np.all(np.diff(plan.columns["strength"]) > 0)
    assert plan.columns["seed"][13] == 107
    assert plan.settings.bpm == 120.0  # no `bpm auto`: the tempo is the usual default


def test_frame_keys_change_with_the_music(tmp_path):
    text = 'fps 10\naudio "song.wav"\ncamera {\n  zoom 1 + 0.02*bass\n}\ntimeline {\n  0 "a"\n  30 end\n}\n'
    bass = np.zeros(1000)
    quiet = compile_with(text, tmp_path, analysis(bass=bass))
    bass[150:] = 1.0
    loud = compile_with(text, tmp_path, analysis(bass=bass))
    changed = [i for i, (a, b) in enumerate(zip(quiet.keys(), loud.keys())) if a != b]
    assert changed[0] == 15 and changed == list(range(15, 30))


def test_frame_curves_average_each_frames_time_take_onsets_peak_and_end_with_the_music():
    level = np.arange(300) / 300.0
    onset = np.zeros(300)
    onset[7] = 1.0
    curves = frame_curves(analysis(seconds=3.0, level=level, onset=onset), fps=10, length=40)
    assert curves["level"][0] == pytest.approx(np.mean(level[:10]), abs=1e-3)
    assert curves["onset"][0] == 1.0 and curves["onset"][1] == 0.0  # a peak between samples is kept
    assert np.all(curves["level"][30:] == 0.0)  # after the audio's 3 s
    fast = frame_curves(analysis(seconds=3.0, level=level), fps=240, length=240)  # more frames than values
    assert fast["level"][120] == pytest.approx(50 / 300, abs=2e-3) and np.all(np.diff(fast["level"]) >= 0)


def test_a_scene_that_reads_no_music_never_asks_for_it(tmp_path):
    analyzer = FixedAnalyzer(MissingAudioLibrary("librosa is not installed"))
    (tmp_path / "song.wav").write_bytes(b"x")
    text = 'audio "song.wav"\nbpm 96\ntimeline {\n  0 "a"\n  8b end\n}\n'
    plan = ride.compile_text(text, str(tmp_path / "scene.ride"), analyzer=analyzer)
    assert analyzer.calls == 0 and len(plan) == 60  # muxed only: 8 beats at 96 bpm, 12 fps


def errors(text: str, folder: Path, answer=None, audio: bool = True) -> list[tuple[str, int, str]]:
    with pytest.raises(RideError) as caught:
        compile_with(text, folder, answer if answer is not None else analysis(BEATS), audio)
    return [(p.code, p.span.line, p.message) for p in caught.value.problems]


def test_bpm_auto_and_music_variables_without_audio_are_positioned_errors(tmp_path):
    text = 'bpm auto\ncamera {\n  zoom 1 + 0.01*onset + 0.01*onset\n}\nstrength 0.3 + 0.1*bass\ntimeline {\n  0 "a"\n  8b end\n}\n'
    assert errors(text, tmp_path, audio=False) == [
        ("R430", 1, "`bpm auto` needs the scene's audio"),
        ("R230", 3, "'onset' needs the scene's audio"),  # once, at its first use
        ("R230", 5, "'bass' needs the scene's audio"),
    ]


@pytest.mark.parametrize(("answer", "code", "message"), [
    (UnreadableAudio("it is not audio soundfile can read (Format not recognised)"), "R530",
     "cannot read audio 'song.wav': it is not audio soundfile can read (Format not recognised)"),
    (MissingAudioLibrary("librosa is not installed"), "R531", "music analysis needs librosa: librosa is not installed"),
    (analysis([1.0]), "R431", "no beats found in 'song.wav'"),
], ids=["unreadable", "no-librosa", "no-beats"])
def test_audio_that_cannot_give_its_music_is_an_error_at_its_line(tmp_path, answer, code, message):
    text = 'fps 12\naudio "song.wav"\nbpm auto\ntimeline {\n  0 "a"\n  8b end\n}\n'
    (problem,) = errors(text, tmp_path, answer)
    assert problem == (code, 3 if code == "R431" else 2, message)


def test_silent_audio_is_a_warning_and_constant_curves(tmp_path):
    text = 'fps 12\naudio "song.wav"\ncamera {\n  zoom 1 + 0.02*level\n}\ntimeline {\n  0 "a"\n  24 end\n}\n'
    plan = compile_with(text, tmp_path, analysis(silent=True))
    assert np.all(plan.columns["zoom"] == 1.0)
    (warning,) = plan.settings.warnings
    assert (warning.code, warning.severity, warning.span.line) == ("R532", "warning", 2)
    assert "is silent" in warning.message


def test_loop_close_in_detected_beats_closes_over_the_last_beats(tmp_path):
    text = 'fps 10\nbpm auto\naudio "song.wav"\ntimeline {\n  0 "a"\n  4.25s end\n}\nloop close 2b\n'
    plan = compile_with(text, tmp_path, analysis(BEATS))
    # the scene ends at 4.25 s = beat 8; two detected beats before it is 3.25 s: frames 33..42 close
    assert plan.settings.loop_frames == 10


@pytest.mark.parametrize("time", ["9" * 20 + "b end", "+" + "9" * 20 + "b end"])
def test_beats_past_any_song_are_range_errors_not_crashes(tmp_path, time):
    text = f'bpm auto\naudio "song.wav"\ntimeline {{\n  0 "a"\n  {time}\n}}\n'
    assert [code for code, _, _ in errors(text, tmp_path)] == ["R405"]


def test_a_scene_may_end_on_its_first_detected_beat(tmp_path):
    text = 'fps 12\nbpm auto\naudio "song.wav"\ntimeline {\n  0 "a"\n  0b end\n}\n'
    assert len(compile_with(text, tmp_path, analysis(BEATS))) == 3  # 0b is 0.25 s: frames 0, 1, 2
