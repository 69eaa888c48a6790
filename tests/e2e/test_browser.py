"""What a person sees: the served page in headless chromium, at a projector's 1024×768 and a
laptop's 1280×800.

What runs: ``streamlit run app.py`` on a free port (fixture ``app_server``), Debian
chromium through Playwright (fixture ``browser``), one fresh page per test.

Skipping: without the ``playwright`` package or a ``chromium`` binary the whole module is
skipped with the reason, except when ``QUANTVIZ_REQUIRE_ALL=1`` (set by ``.ci/run``): then
every test here fails with the reason, so CI never passes by skipping.

Screenshots go to the test's tmp dir, and to ``assets/screenshots/`` with
``QUANTVIZ_SCREENSHOTS=1``::

    QUANTVIZ_SCREENSHOTS=1 .venv/bin/pytest tests/e2e -q
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browser_helpers import (
    REPO_ROOT,
    SIZES,
    assert_no_errors,
    box,
    metric_value,
    metric_value_text,
    open_app,
    overflowing,
    parse_number,
    require_browser_tools,
    slider_thumb,
    slider_value_text,
    upload_file,
    wait_for_app_run,
    wait_for_charts,
)

if TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Page

require_browser_tools(collecting=True)  # skips this module when a tool is missing (not in CI)

try:
    from playwright.sync_api import expect
except ImportError:  # only under QUANTVIZ_REQUIRE_ALL=1: the `browser` fixture fails first
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.browser

SCREENSHOT_DIR = REPO_ROOT / "assets" / "screenshots"
PROJECTOR, LAPTOP = SIZES["1024x768"], SIZES["1280x800"]
# Nothing may be cut off: numbers, their labels, the formulas, the charts, the rooms' tabs
# (they wrap onto a second row when a file and a format add their rooms to the others).
CUT = ["[data-testid='stMetricValue']", "[data-testid='stMetricLabel']",
       "[data-testid='stVegaLiteChart']", "[data-testid='stMarkdownContainer'] p"]  # fmt: skip


def save_screenshot(page: Page, tmp_path: Path, name: str) -> Path:
    """A PNG of the viewport into the tmp dir; copied to assets/screenshots on request."""
    out = tmp_path / name
    page.screenshot(path=str(out))
    if os.environ.get("QUANTVIZ_SCREENSHOTS") == "1":
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out, SCREENSHOT_DIR / name)
    return out


def show(page: Page, url: str, size: dict[str, int]) -> None:
    page.set_viewport_size(size)
    open_app(page, url)
    wait_for_charts(page)
    assert_no_errors(page)


def test_the_bit_slider_moves_the_numbers_and_the_link(page: Page, app_url: str, tmp_path):
    show(page, app_url, LAPTOP)
    expect(slider_value_text(page, "bits")).to_have_text("4")
    before = parse_number(metric_value_text(page, "SQNR"))
    slider_thumb(page, "bits").focus()
    for _ in range(2):  # one key press per run: each arrow key sends a value
        page.keyboard.press("ArrowLeft")
        wait_for_app_run(page)
    expect(slider_value_text(page, "bits")).to_have_text("2")
    after = parse_number(metric_value_text(page, "SQNR"))
    assert after < before
    expect(page).to_have_url(re.compile(r"[?&]bits=2(?:&|#|$)"), timeout=5_000)
    assert_no_errors(page)


def test_a_link_restores_its_settings(page: Page, app_url: str):
    show(page, f"{app_url}/?bits=3&dist=normal", LAPTOP)
    expect(slider_value_text(page, "bits")).to_have_text("3")
    expect(page.get_by_test_id("stMain").get_by_text("Normal (Gaussian)").first).to_be_visible()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_default_page_fits_and_shows_the_lesson_first(page: Page, app_url, size, tmp_path):
    show(page, app_url, SIZES[size])
    assert overflowing(page, ", ".join(CUT)) == []
    # the bit slider near the top, the picture and the numbers above the fold
    viewport = SIZES[size]
    assert box(page, ".st-key-bits")["y"] < viewport["height"] / 3
    charts = page.get_by_test_id("stVegaLiteChart")
    assert charts.nth(0).bounding_box()["y"] < viewport["height"] / 2
    assert box(page, "[data-testid='stMetric']")["y"] < viewport["height"] / 2
    if size == "1280x800":  # both histograms entirely on the first screen
        quantized = charts.nth(1).bounding_box()
        assert quantized["y"] + quantized["height"] <= viewport["height"]
    save_screenshot(page, tmp_path, f"default-{size}.png")


@pytest.mark.parametrize(
    "query",
    ["bits=16", "bits=1", "dist=layer&granularity=channel&strategy=mse",
     "dist=outliers&scheme=narrow&strategy=percentile&bits=12", "preset=per_channel",
     "preset=llama_q4_0", "format=nvfp4&room=Block"],
)  # fmt: skip
def test_nothing_is_cut_off_at_the_projectors_width(page: Page, app_url: str, query: str):
    show(page, f"{app_url}/?{query}", PROJECTOR)
    assert overflowing(page, ", ".join(CUT)) == []


@pytest.mark.parametrize("size", list(SIZES))
def test_the_class_view_fits_one_screen(page: Page, app_url: str, size: str, tmp_path):
    show(page, f"{app_url}/?view=class&preset=two_bits", SIZES[size])
    viewport = SIZES[size]
    main = page.get_by_test_id("stMain")
    assert main.evaluate("e => e.scrollHeight <= e.clientHeight + 1"), "the class view scrolls"
    parts = {
        "bit slider": ".st-key-bits",
        "original histogram": "[data-testid='stVegaLiteChart'] >> nth=0",
        "quantized histogram": "[data-testid='stVegaLiteChart'] >> nth=1",
        "numbers": ".st-key-classroom [data-testid='stMetric'] >> nth=-1",
    }
    for name, selector in parts.items():
        b = box(page, selector)
        inside = b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["width"] <= viewport["width"]
        assert inside and b["y"] + b["height"] <= viewport["height"], f"{name} is cut off: {b}"
    assert overflowing(page, ", ".join(CUT)) == []
    expect(metric_value(page, "Levels used")).to_have_text("4 of 4")
    save_screenshot(page, tmp_path, f"class-{size}.png")


def test_a_number_format_chosen_in_the_page(page: Page, app_url: str, tmp_path):
    """The format control beside the bit slider: the numbers, the link and the rooms follow."""
    show(page, app_url, PROJECTOR)
    page.locator(".st-key-format").click()
    page.get_by_role("option", name="NF4 (QLoRA)").click()
    wait_for_app_run(page)
    expect(metric_value(page, "Bits/weight")).to_have_text("4.50")  # 4 + 32 bits per 64
    expect(metric_value(page, "Saturated")).to_have_text("0 %")
    expect(page).to_have_url(re.compile(r"[?&]format=nf4(?:&|#|$)"), timeout=5_000)
    assert page.locator(".st-key-bits").count() == 0  # the format decides its bits
    expect(page.get_by_role("tab", name="Block")).to_be_visible()
    assert overflowing(page, ", ".join(CUT)) == []
    assert_no_errors(page)
    save_screenshot(page, tmp_path, "format-1024x768.png")


def test_a_real_checkpoint_uploaded_through_the_page(page: Page, app_url: str, tmp_path):
    """The shipped MiniLM-L6 sample, uploaded like a user's own file: its largest matrix (the
    first FFN weight) opens, at 4-bit min-max 2.9 dB (a few outliers stretch the range)."""
    sample = REPO_ROOT / "assets" / "minilm-l6-sample.safetensors"
    show(page, app_url, LAPTOP)
    upload_file(page, "minilm.safetensors", sample.read_bytes(), key="upload")
    wait_for_charts(page)
    assert_no_errors(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("1536 × 384 matrix", exact=False).first).to_be_visible()
    expect(page.get_by_test_id("stFileChipName")).to_have_text("minilm.safetensors")
    assert metric_value_text(page, "SQNR") == "2.9 dB"
    save_screenshot(page, tmp_path, "uploaded-checkpoint.png")


def test_the_worked_example_at_the_projectors_width(page: Page, app_url: str, tmp_path):
    """The article's values at 3 bits: the number line, the table and the walk-through, with
    nothing cut off; typing new values changes the table."""
    show(page, f"{app_url}/?lesson=worked-example&bits=3&follow=5", PROJECTOR)
    assert overflowing(page, ", ".join(CUT)) == []
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("Value 5: x = 4.5.")).to_have_count(0)  # predict first
    guess = main.locator("[class*='st-key-worked_guess_'] input")
    guess.fill("6")
    guess.press("Enter")
    wait_for_app_run(page)
    main.get_by_role("button", name="Check").click()
    wait_for_app_run(page)
    expect(main.get_by_text("Right: q = 6.")).to_be_visible()
    expect(main.get_by_text("Value 5: x = 4.5.")).to_be_visible()
    expect(main.get_by_text("x̂ = (6 − 0) × 0.8 =")).to_be_visible()
    chart = box(page, "[data-testid='stVegaLiteChart']")
    assert chart["x"] + chart["width"] <= PROJECTOR["width"], chart
    save_screenshot(page, tmp_path, "worked-example-1024x768.png")
    values = page.locator(".st-key-values input")
    values.fill("-1, 0.5, 2")
    values.press("Enter")
    wait_for_app_run(page)
    expect(main.get_by_text("The values run from −1 to 2")).to_be_visible()
    assert_no_errors(page)


# What a student reads, in each language, walking "Outliers and clipping".
WALK = {
    "en": {"step1": "Outliers and clipping · step 1 of 2", "wrong": "goes down",
           "check": "Check", "not_quite": "Not quite:",
           "why": "Only 0.1 % of the values are clipped.", "next": "Next",
           "step2": "Outliers and clipping · step 2 of 2", "right": "Right: 0.2361.",
           "leave": "Leave the lesson", "heading": "Outliers and clipping · step"},
    "zh": {"step1": "离群值与裁剪 · 第 1 步，共 2 步", "wrong": "下降", "check": "核对",
           "not_quite": "不太对：", "why": "只有 0.1 % 的数值被裁剪。", "next": "下一步",
           "step2": "离群值与裁剪 · 第 2 步，共 2 步", "right": "答对了：0.2361。",
           "leave": "退出本课", "heading": "离群值与裁剪 · 第"},
}  # fmt: skip


@pytest.mark.parametrize("lang", list(WALK))
def test_a_lesson_walked_from_start_to_end(page: Page, app_url: str, lang: str, tmp_path):
    """The lesson on outliers and clipping, in each language: a wrong prediction, then a
    right one, the numbers appearing only once the student has answered."""
    w = WALK[lang]
    show(page, f"{app_url}/?lesson=outliers-and-clipping&step=1&lang={lang}", PROJECTOR)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(w["step1"])).to_be_visible()
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    main.get_by_text(w["wrong"]).click()
    wait_for_app_run(page)
    main.get_by_role("button", name=w["check"]).click()
    wait_for_app_run(page)
    expect(main.get_by_text(w["not_quite"])).to_be_visible()
    expect(main.get_by_text(w["why"], exact=False)).to_be_visible()
    expect(metric_value(page, "SQNR")).to_have_text("2.2 dB")
    if lang == "en":
        save_screenshot(page, tmp_path, "lesson-1024x768.png")
    main.get_by_role("button", name=w["next"]).click()
    wait_for_app_run(page)
    expect(main.get_by_text(w["step2"])).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]step=2(?:&|#|$)"), timeout=5_000)
    answer = main.locator(".st-key-lesson_box input")
    answer.fill("0.236")
    answer.press("Enter")
    wait_for_app_run(page)
    main.get_by_role("button", name=w["check"]).click()
    wait_for_app_run(page)
    expect(main.get_by_text(w["right"])).to_be_visible()
    assert overflowing(page, ", ".join(CUT)) == []
    if lang == "zh":
        save_screenshot(page, tmp_path, "lesson-zh-1024x768.png")
    main.get_by_role("button", name=w["leave"]).click()
    wait_for_app_run(page)
    expect(main.get_by_text(w["heading"])).to_have_count(0)
    assert_no_errors(page)


def test_the_chinese_class_view_fits_the_projector(page: Page, app_url: str, tmp_path):
    show(page, f"{app_url}/?view=class&preset=two_bits&lang=zh", PROJECTOR)
    main = page.get_by_test_id("stMain")
    assert main.evaluate("e => e.scrollHeight <= e.clientHeight + 1"), "the class view scrolls"
    assert overflowing(page, ", ".join(CUT)) == []
    expect(metric_value(page, "用到的量化级")).to_have_text("4 / 4")
    expect(main.get_by_text("两个比特给出四个量化级", exact=False).first).to_be_visible()
    save_screenshot(page, tmp_path, "class-zh-1024x768.png")
