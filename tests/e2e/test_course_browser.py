"""The course as a teacher meets it in headless chromium (issue 21, item 4): ``?course=1``
at a projector's 1024×768 and a laptop's 1280×800, in English and Chinese, nothing cut off;
a lesson opened from it; the lesson's handout downloaded as Markdown with the numbers of the
data on screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from browser_helpers import (
    SIZES,
    assert_no_errors,
    open_app,
    overflowing,
    require_browser_tools,
    wait_for_app_run,
)

if TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Page

require_browser_tools(collecting=True)

pytestmark = pytest.mark.browser

WORDS = {
    "en": ("The course", "1. What a step is", "about 10 min · 3 steps · needs only the page",
           "Open"),
    "zh": ("整门课", "1. 什么是步长", "约 10 分钟 · 3 步 · 只需本页面", "打开"),
}  # fmt: skip


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("lang", list(WORDS))
def test_the_course_page_fits_and_opens_a_lesson(page: Page, app_url: str, lang, size):
    from playwright.sync_api import expect

    title, first, line, button = WORDS[lang]
    page.set_viewport_size(SIZES[size])
    open_app(page, f"{app_url}/?course=1&lang={lang}")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(title, exact=True)).to_be_visible()
    expect(main.get_by_text(first)).to_be_visible()
    expect(main.get_by_text(line).first).to_be_visible()
    assert overflowing(page, "[data-testid='stMarkdownContainer'] p, button") == []
    main.locator(".st-key-course_open_zero-point").get_by_role("button", name=button).click()
    wait_for_app_run(page)
    expect(page.locator(".st-key-lesson_box")).to_be_visible()
    assert "lesson=zero-point" in page.url and "course" not in page.url
    assert_no_errors(page)


def test_the_handout_downloads_with_the_numbers_on_screen(page: Page, app_url: str, tmp_path):
    page.set_viewport_size(SIZES["1024x768"])
    open_app(page, f"{app_url}/?lesson=what-a-step-is&step=1")
    with page.expect_download() as info:
        page.locator(".st-key-lesson_handout").get_by_role(
            "button", name="Download this lesson as a handout (Markdown)"
        ).click()
    download = info.value
    assert download.suggested_filename == "quantviz-what-a-step-is-en.md"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    md = path.read_text(encoding="utf-8")
    assert md.startswith("# What a step is\n")
    assert "**Answer: 0.2857.** s = (h − ℓ) / (2^b − 1) = 2 / 7 = 0.2857" in md
    assert "**Answer: 0.007843.** s = 2 / 255 = 0.007843." in md  # step 3 opens at 8 bits
    assert_no_errors(page)
