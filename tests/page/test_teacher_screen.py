"""What a teacher sees first on a 1024-px projector, where the browser cannot tell: the
whole-model table's first columns, the tensor picker's place, the class view's fonts."""

from __future__ import annotations

import json


def test_the_whole_model_table_shows_sqnr_and_clipped_next_to_the_tensor(open_app):
    at = open_app(source="sample", room="Whole model")
    table = at.dataframe[-1]
    # the columns a teacher compares come first: no sideways scrolling at 1024 px
    assert list(table.proto.column_order)[:3] == ["tensor", "sqnr_db", "clipped_fraction"]
    assert set(table.proto.column_order) == set(table.value.columns)  # none hidden


def test_a_file_s_tensor_is_picked_above_the_picture(open_app):
    at = open_app(source="sample")
    assert at.main.selectbox(key="tensor").value == "encoder.layer.0.intermediate.dense.weight"
    assert not [s for s in at.sidebar.selectbox if s.key == "tensor"]
    at = open_app(source="sample", view="class")  # the class view keeps it in the sidebar
    assert at.sidebar.selectbox(key="tensor").value == "encoder.layer.0.intermediate.dense.weight"


def test_the_class_view_s_charts_are_set_for_a_projector(open_app):
    at = open_app(view="class")
    charts = at.main.get("vega_lite_chart")
    assert len(charts) == 2  # the original over the quantized histogram
    for chart in charts:
        config = json.loads(chart.proto.spec)["config"]
        assert config["axis"]["labelFontSize"] >= 18 and config["axis"]["titleFontSize"] >= 20
