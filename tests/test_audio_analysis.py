"""ride.audio on synthetic audio made here (numpy -> WAV with soundfile): a click track at a
known tempo, an amplitude ramp, tone bursts in each band, silence; the cache; the scene's use.

These import librosa (seconds), so they are marked slow."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT
from synth_audio import BURSTS, RATE, bursts, clicks, ramp, silence, speeding_up, write_wav

import ride
from ride.audio import ANALYZER, MusicAnalyzer
from ride.audio.cache import AUDIO_FOLDER, CACHE_FOLDER, AnalysisCache
from ride.audio.features import analyse
from ride.compile.music import frame_curves
from ride.errors import RideError
from ride.renderer.store import DEFAULT_FOLDER

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("bpm", [97.0, 120.0, 140.5, 174.0])
@pytest.mark.parametrize("fps", [12, 30])
def test_a_click_track_gives_its_tempo_within_1_bpm_and_its_beats_within_a_frame(tmp_path, bpm, fps):
    samples, times = clicks(bpm, first=0.25, seconds=12.0)
    write_wav(tmp_path / "clicks.wav", samples)
    result = analyse(samples, RATE)
    assert abs(result.tempo - bpm) < 1.0
    # every click is a detected beat, within one frame, and nothing else is
    assert len(result.beats) == len(times)
    assert np.max(np.abs(result.beats - times)) < 1.0 / fps
    # so `8b` of `bpm auto` is the ninth click (the first, at 0.25 s, is 0b), within a frame
    text = f'fps {fps}\nbpm auto\naudio "clicks.wav"\ntimeline {{\n  0 "a"\n  8b "b"\n  +2b "c"\n  20b end\n}}\n'
    plan = ride.compile_text(text, str(tmp_path / "scene.ride"))
    keys = [i for i in range(1, len(plan)) if plan.conditioning[i].sources != plan.conditioning[i - 1].sources]
    assert abs(keys[0] / fps - times[8]) <= 1.0 / fps and abs(keys[1] / fps - times[10]) <= 1.0 / fps
    assert abs(plan.settings.bpm - bpm) < 1.0


def test_beats_after_a_silent_intro_start_at_the_first_click():
    samples, times = clicks(110.0, first=2.0, seconds=10.0)
    result = analyse(samples, RATE)
    assert len(result.beats) == len(times) and np.max(np.abs(result.beats - times)) < 1 / 30
    assert abs(result.tempo - 110.0) < 1.0


def test_beats_follow_a_song_that_speeds_up():
    samples, times = speeding_up(100.0, 130.0)
    result = analyse(samples, RATE)
    assert len(result.beats) == len(times) and np.max(np.abs(result.beats - times)) < 1 / 30
    # so `Nb` is the time of click N, on both sides of the change: not a grid at one tempo
    from ride.compile.music import BeatGrid

    grid = BeatGrid(result.beats, result.tempo)
    assert np.max(np.abs(grid.seconds(np.arange(len(times))) - times)) < 1 / 30


def test_a_rising_amplitude_gives_a_rising_level():
    level = frame_curves(analyse(ramp(6.0), RATE), fps=12, length=70)["level"]
    inside = level[1:70]  # frame 0 holds the first quiet samples, frame 71 would be past the end
    assert np.all(np.diff(inside) >= 0) and inside[-1] > 0.9 and level[1] < 0.1
    assert np.corrcoef(np.arange(len(inside)), inside)[0, 1] > 0.99  # RMS: linear in the amplitude


def test_tone_bursts_light_their_own_band(tmp_path):
    samples, spans = bursts()
    curves = frame_curves(analyse(samples, RATE), fps=20, length=int(len(samples) / RATE * 20))
    for band in BURSTS:
        for other, (start, end) in spans.items():
            middle = slice(int((start + 0.2) * 20), int((end - 0.2) * 20))  # away from the bursts' edges
            if other == band:
                assert curves[band][middle].min() > 0.8, (band, other)
            else:
                assert curves[band][middle].max() < 0.1, (band, other)
    assert curves["level"][int(0.2 * 20)] == 0.0  # the silence before the first burst


def test_silence_is_a_warning_with_flat_curves(tmp_path, capsys):
    from ride.cli import main

    write_wav(tmp_path / "quiet.wav", silence(2.0))
    script = tmp_path / "scene.ride"
    script.write_text('fps 12\naudio "quiet.wav"\ncamera {\n  zoom 1 + 0.02*onset\n}\ntimeline {\n  0 "a"\n  24 end\n}\n')
    assert main(["check", str(script)]) == 0
    err = capsys.readouterr().err
    assert f"{script}:2:1: warning: audio 'quiet.wav' is silent: its curves are 0 throughout [R532]" in err
    assert np.all(ride.load(script).columns["zoom"] == 1.0)
    script.write_text(script.read_text().replace("fps 12", "fps 12\nbpm auto"))
    with pytest.raises(RideError, match="no beats found in 'quiet.wav'"):
        ride.load(script)


def test_audio_that_is_not_audio_is_an_error_at_the_audio_line(tmp_path):
    (tmp_path / "song.wav").write_text("not a song")
    text = 'bpm auto\naudio "song.wav"\ntimeline {\n  0 "a"\n  8b end\n}\n'
    with pytest.raises(RideError) as caught:
        ride.compile_text(text, str(tmp_path / "scene.ride"))
    (problem,) = caught.value.problems
    assert (problem.code, problem.span.line, problem.span.col) == ("R530", 2, 1)
    assert problem.message.startswith("cannot read audio 'song.wav': it is not audio soundfile can read")


def test_the_analysis_is_cached_by_content_and_a_damaged_cache_is_analysed_again(tmp_path, monkeypatch):
    samples, _ = clicks(120.0, seconds=4.0)
    data = (write_wav(tmp_path / "a.wav", samples)).read_bytes()
    first = ANALYZER.analyse(data, "d1", tmp_path)
    cached = AnalysisCache.beside(tmp_path).path("d1")
    assert cached.parent == tmp_path / DEFAULT_FOLDER / AUDIO_FOLDER and CACHE_FOLDER == DEFAULT_FOLDER
    calls = []
    from ride.audio import features

    monkeypatch.setattr(features, "analyse", lambda *a: calls.append(a) or first)
    again = MusicAnalyzer().analyse(data, "d1", tmp_path)
    assert calls == [] and np.array_equal(again.beats, first.beats) and again.tempo == first.tempo
    for name in first.curves:
        assert np.array_equal(again.curves[name], first.curves[name])
    cached.write_bytes(b"PK\x03\x04 damaged")
    MusicAnalyzer().analyse(data, "d1", tmp_path)
    assert len(calls) == 1 and AnalysisCache.beside(tmp_path).get("d1") is not None  # replaced
    # `ride cache info` still takes the folder for a frame cache
    from ride.renderer.store import is_frame_cache

    assert is_frame_cache(tmp_path / DEFAULT_FOLDER)


def test_missing_librosa_is_an_error_with_the_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "librosa", None)  # `import librosa` raises ImportError
    samples, _ = clicks(120.0, seconds=2.0)
    write_wav(tmp_path / "a.wav", samples)
    text = 'audio "a.wav"\nstrength 0.3 + 0.1*level\ntimeline {\n  0 "a"\n  8 end\n}\n'
    with pytest.raises(RideError) as caught:
        ride.compile_text(text, str(tmp_path / "scene.ride"))
    (problem,) = caught.value.problems
    assert (problem.code, problem.span.line) == ("R531", 1)
    assert "pip install 'ride[audio]'" in problem.hint


def test_checking_a_scene_without_music_never_imports_librosa():
    code = ("import sys, ride; ride.load('scenes/giro.ride'); "
            "print('librosa' in sys.modules, 'soundfile' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_the_language_server_shows_a_silent_song_as_a_warning_and_says_what_music_names_are(tmp_path):
    pytest.importorskip("pygls")
    from lsprotocol import types
    from pygls.workspace import TextDocument

    from ride.lsp.analysis import analyze
    from ride.lsp.diagnostics import to_diagnostic
    from ride.lsp.hover import hover_text

    write_wav(tmp_path / "quiet.wav", silence(1.0))
    text = 'audio "quiet.wav"\nstrength 0.3 + 0.1*onset\ntimeline {\n  0 "a"\n  12 end\n}\n'
    analysis = analyze(text, str(tmp_path / "scene.ride"))
    (warning,) = analysis.problems
    diagnostic = to_diagnostic(TextDocument("file:///scene.ride", text), warning)
    assert diagnostic.severity == types.DiagnosticSeverity.Warning and diagnostic.code == "R532"
    assert "onset strength" in hover_text(analysis, 1, 22)[0]


def test_plot_and_the_live_page_show_the_songs_curves_and_count_detected_beats():
    from ride.plot.series import MUSIC, plan_curves

    plan = ride.load(ROOT / "scenes" / "groove.ride")
    curves = plan_curves(plan)
    music = {s.name: s for s in curves.group(MUSIC)}
    assert list(music) == ["level", "onset", "bass", "mid", "treble"]
    assert all(len(s.values) == len(plan) and 0 <= s.values.min() <= s.values.max() <= 1 for s in music.values())
    # the values that read the music are the curves they read (zoom 1.002 + 0.025*bass)
    zoom = next(s for s in curves.series if s.name == "zoom")
    assert np.allclose(zoom.values, 1.002 + 0.025 * music["bass"].values, atol=1e-6)
    # the timeline's keys (8b, 16b, 20b, 24b) are at the detected beats, as in the plan
    beats = np.asarray(curves.beats)
    assert len(beats) == 32 and curves.timeline_keys == (0, *(round(beats[b] * plan.fps) for b in (8, 16, 20, 24)))
    page = curves.to_json()
    assert page["beats"] == list(curves.beats) and {s["name"] for s in page["series"]} >= set(music)


def test_ride_plot_draws_a_scene_with_music(tmp_path):
    pytest.importorskip("matplotlib")
    from ride.cli import main

    assert main(["plot", str(ROOT / "scenes" / "groove.ride"), "-o", str(tmp_path / "curves.svg"),
                 "--tracks", "level,onset,bass,mid,treble"]) == 0
    svg = (tmp_path / "curves.svg").read_text()
    assert "beats (detected; about 112 bpm)" in svg and "treble" in svg
