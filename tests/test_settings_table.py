"""The settings table is the one list of settings: the grammar, plan, docs and checks follow it."""

import re
from dataclasses import fields

from conftest import ROOT

from ride import settings as table
from ride.language.syntax import _parser, grammar_path
from ride.plan import CAMERA_COLUMNS, NUMERIC_COLUMNS, Camera, FramePlan


def test_docs_reference_is_the_table():
    text = (ROOT / "docs" / "language.md").read_text()
    copy = text.split("<!-- settings-table: start -->\n")[1].split("<!-- settings-table: end -->")[0]
    assert copy == table.reference_markdown(), "regenerate it: python -m ride.settings"


def test_grammar_keywords_come_from_the_table():
    template = grammar_path().read_text()
    assert "%VALUE_SETTINGS%" in template
    terminals = {t.name: t.pattern.value for t in _parser().terminals}
    names = {kind: set(re.match(r"\(([\w|]*)\)", terminals[kind]).group(1).split("|"))
             for kind in ("TEXT_SETTING", "VALUE_SETTING", "WORD_SETTING")}
    assert names["TEXT_SETTING"] == set(table.TEXT_SETTINGS) == {"title", "model", "negative", "init", "output", "audio",
                                                                        "vae", "model_config"}
    assert names["WORD_SETTING"] == set(table.WORD_SETTINGS) == {"engine", "color", "border", "mode"}
    assert names["VALUE_SETTING"] == set(table.VALUE_SETTINGS) == {
        "fps", "steps", "guidance", "strength", "noise", "cadence", "bpm", "adapter_scale", "zoom", "focus", "pan",
        "rotate", "move", "turn", "fov", "lora_scale", "clip_skip"}


def test_plan_columns_are_the_tables_in_hashing_order():
    # the order is hashed into frame keys: it must not move
    assert NUMERIC_COLUMNS == ("seed", "strength", "guidance", "steps", "noise", "adapter_scale", "lora_scale",
                               "loop_blend")
    assert CAMERA_COLUMNS == ("zoom", "pan_x", "pan_y", "rotate", "focus_x", "focus_y",
                              "move_x", "move_y", "move_z", "turn_x", "turn_y", "turn_z", "fov")


def test_every_column_is_a_frame_field():
    frame_fields = {f.name for f in fields(FramePlan)}
    camera_fields = {f.name for f in fields(Camera)}
    for setting in table.SETTINGS:
        if setting.column == table.FRAME:
            assert setting.name in frame_fields, f"add `{setting.name}` to FramePlan"
        elif setting.column == table.MOTION:
            assert setting.name in camera_fields, f"add `{setting.name}` to Camera"


def test_rows_are_well_formed():
    for s in table.SETTINGS:
        assert s.help, s.name
        assert s.low <= s.high, s.name
        if s.kind == table.PAIR:
            assert all(table.BY_NAME[p].where == (table.TRACK,) for p in s.parts)
        if s.kind in (table.NUMBER, table.INTEGER) and isinstance(s.default, float) and s.column:
            assert s.low <= s.default <= s.high, s.name
    assert len(table.BY_NAME) == len(table.SETTINGS)


def test_placement_follows_the_table(tmp_path):
    import pytest

    import ride
    from ride.errors import RideError

    with pytest.raises(RideError, match="belongs inside camera"):
        ride.compile_text('zoom 1.01\ntimeline {\n 0 "a"\n 10 end\n}\n')
    with pytest.raises(RideError, match="is not a camera setting"):
        ride.compile_text('camera { strength 0.3 }\ntimeline {\n 0 "a"\n 10 end\n}\n')
