"""The live page in a real browser (Playwright driving Debian's Chromium): it loads, frames arrive,
an edit re-renders and the page shows the new frames, a bad edit shows the error and the old
frames stay. The HTTP contract alone: test_serve.py."""

import pytest
from browser import CHROMIUM, MISSING, chromium
from builders import scene_text

pytest.importorskip("starlette", reason="the live page needs ride[serve]")
pytest.importorskip("playwright", reason="the browser tests need playwright (the dev extra)")
from live_page import LiveSession  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING)]

TEXT = scene_text(['0 "a road"', '10 "a sea" morph 6'], length=24, size=96, fps=8,
                  tracks={"noise": ["0 0.02", "1s 0.05", "end 0.02"]}, camera={"zoom": "1.02"})
TIMEOUT = 30_000  # ms


@pytest.fixture(scope="module")
def browser():
    with chromium() as context:
        yield context


@pytest.fixture
def live(tmp_path):
    script = tmp_path / "scene.ride"
    script.write_text(TEXT)
    with LiveSession(script) as session:
        yield session


def shown(page) -> dict:
    """What the page shows: the frame (its number, key, whether it loaded), state, errors."""
    return page.evaluate("""() => { const img = document.getElementById('frame');
        return {index: Number(img.dataset.index), key: img.dataset.key, loaded: img.complete && img.naturalWidth > 0,
                width: img.naturalWidth, state: document.body.dataset.state,
                rendered: Number(document.body.dataset.rendered),
                errors: document.getElementById('errors').hidden ? '' : document.getElementById('errors').innerText,
                scrub: Number(document.getElementById('scrub').max)}; }""")


def wait_for(page, condition: str) -> None:
    page.wait_for_function(condition, timeout=TIMEOUT)


LAST_FRAME_LOADED = """(key) => { const img = document.getElementById('frame');
    return document.body.dataset.state === 'done' && img.dataset.key === key && img.complete && img.naturalWidth > 0; }"""


def test_the_page_loads_and_frames_arrive(browser, live):
    page = browser.new_page()
    page.goto(live.url)
    live.wait(lambda s: s["state"] == "done")
    keys = live.page.state.keys
    page.wait_for_function(LAST_FRAME_LOADED, arg=keys[-1], timeout=TIMEOUT)
    now = shown(page)
    assert now["index"] == 23 and now["width"] == 96 and now["scrub"] == 23 and now["errors"] == ""
    assert page.title() == "ride: live" and "scene.ride" in page.inner_text("#title")
    # the curves are drawn: the canvas has pixels, and the constant values are listed
    painted = page.evaluate("""() => { const c = document.getElementById('curves');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }""")
    assert painted > 1000
    assert "zoom 1.02" in page.inner_text("#constants")
    # the scrubber shows any rendered frame
    page.fill("#scrub", "5")
    page.dispatch_event("#scrub", "input")
    wait_for(page, "() => { const i = document.getElementById('frame'); return i.dataset.index === '5' "
                   "&& i.complete && i.naturalWidth > 0; }")
    assert shown(page)["key"] == keys[5]
    # play runs through the rendered frames (and loops)
    page.click("#play")
    wait_for(page, "() => Number(document.getElementById('frame').dataset.index) > 8")
    page.click("#play")
    page.close()


def test_an_edit_re_renders_and_the_page_shows_the_new_frames(browser, live):
    page = browser.new_page()
    page.goto(live.url)
    live.wait(lambda s: s["state"] == "done")
    old = live.page.state.keys[:]
    page.wait_for_function(LAST_FRAME_LOADED, arg=old[-1], timeout=TIMEOUT)
    live.edit('"a sea"', '"a forest at night"')
    live.wait(lambda s: s["pass"] == 2 and s["state"] == "done")
    new = live.page.state.keys
    assert new[-1] != old[-1] and new[0] == old[0]
    page.wait_for_function(LAST_FRAME_LOADED, arg=new[-1], timeout=TIMEOUT)
    assert shown(page)["index"] == 23
    # a frame the edit did not change keeps its key; one it changed shows the new one
    page.fill("#scrub", "20")
    page.dispatch_event("#scrub", "input")
    wait_for(page, "() => document.getElementById('frame').dataset.index === '20'")
    assert shown(page)["key"] == new[20] != old[20]
    page.close()


def test_a_bad_edit_shows_the_error_and_the_old_frames_stay(browser, live, tmp_path):
    page = browser.new_page()
    page.goto(live.url)
    live.wait(lambda s: s["state"] == "done")
    keys = live.page.state.keys[:]
    page.wait_for_function(LAST_FRAME_LOADED, arg=keys[-1], timeout=TIMEOUT)
    live.edit("size 96x96", "size 96x96\nstrenght 0.5")
    wait_for(page, "() => document.body.dataset.state === 'error'")
    now = shown(page)
    script = str(tmp_path / "scene.ride")
    assert f"{script}:2:1: error: unknown setting 'strenght' [R201]" in now["errors"]
    assert "strenght 0.5" in now["errors"] and "did you mean 'strength'?" in now["errors"]
    assert now["loaded"] and now["key"] == keys[-1] and now["rendered"] == 24  # the last good frames stay
    page.fill("#scrub", "3")
    page.dispatch_event("#scrub", "input")
    wait_for(page, "() => { const i = document.getElementById('frame'); return i.dataset.index === '3' "
                   "&& i.complete && i.naturalWidth > 0; }")
    # fixing it clears the error
    live.edit("strenght 0.5", "strength 0.5")
    wait_for(page, "() => document.body.dataset.state === 'done' && document.getElementById('errors').hidden")
    page.close()
