"""The rooms and the lessons as a teacher uses them, in headless chromium at a projector's
1024×768 and a laptop's 1280×800 (issue 16): a lesson's prompt that follows the bit
slider, a whole-model row that opens its tensor, the trade-off's strategies kept across
rooms.

Fixtures (``app_server``, ``browser``) and helpers as in ``test_browser.py``; screenshots
go to the test's tmp dir.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from browser_helpers import (
    REPO_ROOT,
    assert_no_errors,
    open_app,
    overflowing,
    require_browser_tools,
    shot,
    slider_thumb,
    slider_value_text,
    upload_file,
    wait_for_app_run,
    wait_for_charts,
)

if TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Page

require_browser_tools(collecting=True)

try:
    from playwright.sync_api import expect
except ImportError:  # only under QUANTVIZ_REQUIRE_ALL=1: the `browser` fixture fails first
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.browser


def test_a_lesson_prompt_follows_the_bit_slider(sized: Page, app_url: str, tmp_path):
    """``?lesson=what-a-step-is&step=3``: moved from 8 to 6 bits, the prompt says 6 bits and
    the 6-bit step is right (the box sits above the slider's fragment: a bit move must
    redraw it)."""
    page = sized
    open_app(page, f"{app_url}/?lesson=what-a-step-is&step=3")
    wait_for_charts(page)
    box = page.locator(".st-key-lesson_box")
    expect(box.get_by_text("At 8 bits, how wide is one step?")).to_be_visible()
    slider_thumb(page, "bits").focus()
    for _ in range(2):
        page.keyboard.press("ArrowLeft")
        wait_for_app_run(page)
    expect(slider_value_text(page, "bits")).to_have_text("6")
    expect(box.get_by_text("At 6 bits, how wide is one step?")).to_be_visible()
    field = box.locator("input")
    field.fill("0.03175")
    field.press("Enter")
    wait_for_app_run(page)
    box.get_by_role("button", name="Check").click()
    wait_for_app_run(page)
    expect(box.get_by_text("Right: 0.03175.")).to_be_visible()
    shot(page, tmp_path, "lesson-step-follows-slider")
    assert_no_errors(page)


@pytest.mark.parametrize("source", ["link", "upload"])
def test_a_row_of_the_whole_model_table_opens_its_tensor(
    sized: Page, app_url: str, tmp_path, source: str
):
    """``?source=sample&room=Whole+model``, and the same file uploaded: ticking the third
    row (the query weight) opens it above: the data line (and the link) follow."""
    page = sized
    query = "encoder.layer.0.attention.self.query.weight"
    main = page.get_by_test_id("stMain")
    if source == "link":
        open_app(page, f"{app_url}/?source=sample&room=Whole+model")
        file = "minilm-l6-sample.safetensors"
    else:
        open_app(page, app_url)
        sample = REPO_ROOT / "assets" / "minilm-l6-sample.safetensors"
        upload_file(page, "minilm.safetensors", sample.read_bytes(), key="upload")
        page.get_by_role("tab").filter(has_text="Whole model").click()
        wait_for_app_run(page)
        file = "minilm.safetensors"
    wait_for_charts(page)
    # the file's tensor is picked above the picture; the data line names the file
    picker = page.locator(f".st-key-{'tensor' if source == 'link' else 'file_tensor'} input")
    expect(picker).to_have_value("encoder.layer.0.intermediate.dense.weight · 1536 × 384")
    expect(main.get_by_text(file).first).to_be_attached()
    grid = page.locator(".st-key-model_rows")
    grid.scroll_into_view_if_needed()
    found = grid.bounding_box()
    assert found is not None
    page.mouse.click(found["x"] + 15, found["y"] + 35 * 3 + 17)  # the third row's tick box
    wait_for_app_run(page)
    wait_for_charts(page)
    expect(picker).to_have_value(f"{query} · 384 × 384")
    if source == "link":
        expect(page).to_have_url(re_query(f"tensor={query}"), timeout=10_000)
    shot(page, tmp_path, f"model-row-opens-{source}")
    assert_no_errors(page)


def re_query(part: str) -> re.Pattern:
    """The URL holds ``part`` as one of its query parameters."""
    return re.compile(rf"[?&]{re.escape(part)}(?:&|#|$)")


def test_the_trade_off_keeps_its_strategies_across_rooms(sized: Page, app_url: str, tmp_path):
    """Trade-off → Formulas → Trade-off: the picker still holds the three strategies the
    chart draws, and adding MSE-optimal adds it to them."""
    page = sized
    open_app(page, app_url)
    wait_for_charts(page)
    picker = page.locator(".st-key-compare")
    chips = ["Min-max", "Percentile", "ACIQ (Laplace)"]
    for chip in chips:
        expect(picker.get_by_text(chip, exact=True)).to_be_visible()
    tabs = page.get_by_role("tab")
    tabs.filter(has_text="Formulas").click()
    wait_for_app_run(page)
    tabs.filter(has_text="Trade-off").click()
    wait_for_app_run(page)
    wait_for_charts(page)
    picker.scroll_into_view_if_needed()
    for chip in chips:
        expect(picker.get_by_text(chip, exact=True)).to_be_visible()
    picker.locator("input").click()
    page.get_by_role("option", name="MSE-optimal").click()
    wait_for_app_run(page)
    page.keyboard.press("Escape")
    for chip in [*chips, "MSE-optimal"]:
        expect(picker.get_by_text(chip, exact=True)).to_be_visible()
    shot(page, tmp_path, "tradeoff-after-rooms")
    assert_no_errors(page)


WORST = "Block 192 of 3,125 (the block with the largest error)"


def test_the_block_field_opens_what_it_says(sized: Page, app_url: str, tmp_path):
    """``?format=q4_0&room=Block``: the empty field names the block it opens (192, the
    largest error); typing 5 opens block 5 (the field reruns its own fragment), emptying
    it goes back to 192."""
    page = sized
    open_app(page, f"{app_url}/?format=q4_0&room=Block")
    wait_for_charts(page)
    main = page.get_by_test_id("stMain")
    field = page.locator(".st-key-block_pick input")
    expect(field).to_have_attribute("placeholder", "192 (largest error)")
    expect(main.get_by_text(WORST)).to_be_visible()
    shot(page, tmp_path, "block-room")
    field.fill("5")
    field.press("Enter")
    wait_for_app_run(page)
    expect(main.get_by_text("Block 5 of 3,125 (the block you chose)")).to_be_visible()
    field.fill("")
    field.press("Enter")
    wait_for_app_run(page)
    expect(main.get_by_text(WORST)).to_be_visible()
    assert_no_errors(page)


def test_the_next_lesson_button_says_its_whole_title(sized: Page, app_url: str, tmp_path):
    """A lesson's last step names the next lesson on its button: at 1024 px the title wraps
    instead of ending in "…" ("Next lesson: Zero point; sym…")."""
    page = sized
    open_app(page, f"{app_url}/?lesson=what-a-step-is&step=3")
    wait_for_charts(page)
    label = page.locator(".st-key-lesson_next_lesson button p")  # the icon is a span of its own
    expect(label).to_have_text("Next lesson: Zero point; symmetric against asymmetric")
    shot(page, tmp_path, "next-lesson")
    assert overflowing(page, ".st-key-lesson_box [data-testid='stMarkdownContainer'] p") == []
