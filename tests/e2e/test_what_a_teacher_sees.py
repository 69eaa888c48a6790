"""What a teacher sees on a projector (1024×768) and a laptop (1280×800), walking the page the
night before a lecture (issue 16): every bit width draws a full-width picture, nothing is cut
to "…", the class view reads from the back of the room, and a lesson step or a scene leaves
the quantized histogram on the first screen.

Runs like ``test_browser.py`` (a served ``app.py``, Debian chromium, one fresh page per test);
skipped without playwright or chromium unless ``QUANTVIZ_REQUIRE_ALL=1``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from browser_helpers import (
    SIZES,
    assert_no_errors,
    box,
    metric_value_text,
    open_app,
    overflowing,
    require_browser_tools,
    slider_thumb,
    wait_for_app_run,
    wait_for_charts,
)

if TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Page

require_browser_tools(collecting=True)

pytestmark = pytest.mark.browser

PROJECTOR, LAPTOP = SIZES["1024x768"], SIZES["1280x800"]

#: JS: for each chart, its plot (the frame Vega draws the marks in: left, width, bottom), the
#: lines of its own titles (text marks) and the font size of its axis labels, in CSS px.
JS_CHARTS = """
() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")].map(c => {
  const plot = c.querySelector(".role-frame.root > g > path.background").getBoundingClientRect();
  const lines = [...c.querySelectorAll(".role-mark.mark-text text")].flatMap(t => {
    const spans = [...t.querySelectorAll("tspan")];
    return spans.length ? spans.map(s => s.textContent) : [t.textContent];
  });
  const ticks = [...c.querySelectorAll(".role-axis-label text")]
    .map(t => parseFloat(getComputedStyle(t).fontSize));
  return {left: plot.left, width: plot.width, bottom: plot.bottom, titles: lines, ticks};
})
"""

#: JS: is there a chart title line that starts with ``prefix``? (the chart has redrawn)
JS_TITLE_STARTS = """
(prefix) => [...document.querySelectorAll(".role-mark.mark-text text")]
  .some(t => t.textContent.startsWith(prefix))
"""


def charts(page: Page) -> list[dict]:
    return page.evaluate(JS_CHARTS)


def show(page: Page, url: str, size: dict[str, int]) -> None:
    page.set_viewport_size(size)
    open_app(page, url)
    wait_for_charts(page)
    assert_no_errors(page)


def cut(element_selector: str) -> str:
    """JS: the elements matching the selector whose text is wider than their box."""
    return f"""
() => [...document.querySelectorAll("{element_selector}")]
  .filter(e => e.getBoundingClientRect().width > 0 && e.scrollWidth > e.clientWidth + 1)
  .map(e => (e.value || e.textContent).trim().slice(0, 60))
"""


# ------------------------------------------------------------------------- item 1 --


@pytest.mark.parametrize("size", list(SIZES))
def test_every_bit_width_draws_the_quantized_plot_as_wide_as_the_original(page, app_url, size):
    """1 to 16 bits by the slider's arrow key: the quantized plot keeps the original's width
    (a long title used to shrink it to a y-axis from 9 bits up) and no title is cut."""
    show(page, f"{app_url}/?bits=1", SIZES[size])
    slider_thumb(page, "bits").focus()
    for bits in range(1, 17):
        if bits > 1:
            page.keyboard.press("ArrowRight")
            wait_for_app_run(page)
        page.wait_for_function(JS_TITLE_STARTS, arg=f"After {bits}-bit quantization")
        original, quantized = charts(page)[:2]
        assert abs(quantized["width"] - original["width"]) <= 3, (bits, original, quantized)
        assert abs(quantized["left"] - original["left"]) <= 1, (bits, original, quantized)
        assert original["width"] > 300, original  # a real plot, not a collapsed one
        titles = original["titles"] + quantized["titles"]
        assert not [t for t in titles if "…" in t], (bits, titles)
    assert quantized["titles"][1].endswith("of 65,536 levels used"), quantized["titles"]
    assert_no_errors(page)


# ------------------------------------------------------------------------- item 9 --


def test_a_16_bit_class_view_counts_its_levels_exactly_and_whole(page, app_url):
    show(page, f"{app_url}/?view=class&bits=16", PROJECTOR)
    levels = metric_value_text(page, "Levels used")
    assert re.fullmatch(r"\d{1,2},\d{3} of 65,536", levels), levels  # not "29.4k of 65…"
    assert page.evaluate(cut("[data-testid='stMetricValue'] > div")) == []


# ------------------------------------------------------------------------ item 10 --


def test_the_pickers_and_captions_are_not_cut_at_the_projector_s_width(page, app_url):
    show(page, f"{app_url}/?source=sample", PROJECTOR)
    tensor = page.locator(".st-key-tensor input")
    assert tensor.input_value() == "encoder.layer.0.intermediate.dense.weight · 1536 × 384"
    assert page.evaluate(cut(".st-key-tensor input")) == []
    caption = page.get_by_test_id("stFileUploaderDropzoneInstructions")
    assert "CSV, TXT" in caption.inner_text()
    assert page.evaluate(cut("[data-testid='stFileUploaderDropzoneInstructions'] span")) == []
    page.locator(".st-key-lesson_button input").click()
    option = page.get_by_role("option", name="3. The worked example, step by step · 15 min")
    option.wait_for()
    assert page.evaluate(cut("[role='option'] > div")) == []
    right = max(b["x"] + b["width"] for b in
                [o.bounding_box() for o in page.get_by_role("option").all()])  # fmt: skip
    assert right <= PROJECTOR["width"]


def test_the_channels_title_says_what_a_bar_is_and_is_not_cut(page, app_url):
    show(page, f"{app_url}/?source=sample&room=Channels", PROJECTOR)
    titles = [line for chart in charts(page) for line in chart["titles"]]
    assert "Range of each of the 1,536 channels (axis 0)" in titles
    assert "each bar spans 2 neighbouring channels; dashed: the one per-tensor range" in titles
    assert not [t for t in titles if "…" in t], titles


# ------------------------------------------------------------------------ item 11 --


@pytest.mark.parametrize("size", list(SIZES))
def test_the_class_view_reads_from_the_back_of_the_room(page, app_url, size):
    show(page, f"{app_url}/?view=class&preset=clip_heavy_tails", SIZES[size])
    for chart in charts(page)[:2]:
        assert chart["ticks"] and min(chart["ticks"]) >= 18, chart["ticks"]  # were 14 px
    main = page.get_by_test_id("stMain")
    assert main.evaluate("e => e.scrollHeight <= e.clientHeight + 1"), "the class view scrolls"
    sentence = main.get_by_text("switch the range strategy to min-max", exact=False)
    assert sentence.is_visible()  # what the class view offers, beside the slider


# ------------------------------------------------------------------------ item 12 --


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize(
    "query",
    ["lesson=what-a-step-is&step=1", "lesson=outliers-and-clipping&step=1&lang=zh",
     "preset=clip_heavy_tails", "preset=fp8_per_tensor", "preset=per_channel&lang=zh"],
)  # fmt: skip
def test_a_lesson_step_or_a_scene_leaves_the_quantized_plot_on_screen(page, app_url, query, size):
    viewport = SIZES[size]
    show(page, f"{app_url}/?{query}", viewport)
    quantized = charts(page)[1]
    assert quantized["bottom"] <= viewport["height"], (query, quantized)
    if query.startswith("lesson"):  # the question beside it, and the way to other lessons
        check = box(page, ".st-key-lesson_box [data-testid='stBaseButton-primary']")
        assert check["y"] + check["height"] <= viewport["height"], check
        assert page.locator(".st-key-lesson_button").is_visible()
    assert overflowing(page, "[data-testid='stMetricValue'], [data-testid='stVegaLiteChart']") == []


def test_a_checked_answer_stays_in_its_field(page, app_url):
    show(page, f"{app_url}/?lesson=what-a-step-is&step=1", PROJECTOR)
    field = page.locator(".st-key-lesson_box input")
    field.fill("0.3")  # typed, and Check pressed straight away (no Enter)
    page.get_by_role("button", name="Check").click()
    wait_for_app_run(page)
    page.get_by_text("Not quite:", exact=False).wait_for()
    assert page.locator(".st-key-lesson_box input").input_value() == "0.3"
    assert_no_errors(page)
