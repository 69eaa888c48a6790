"""The Transformer room in headless chromium at a projector's 1024×768 and a laptop's
1280×800: every chart drawn at a width (a Vega-Lite facet fitted to the page's width was drawn
0 px wide), nothing cut off, in English and Chinese.

Fixtures (``app_url``, ``browser``) as in ``test_browser.py``; screenshots go to tmp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from browser_helpers import (
    FIRST_LOAD_TIMEOUT_MS,
    SIZES,
    assert_no_errors,
    open_app,
    overflowing,
    require_browser_tools,
    wait_for_charts,
)

import quantviz as qv

if TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Browser

require_browser_tools(collecting=True)

pytestmark = pytest.mark.browser

CUT = ", ".join([
    "[data-testid='stMetricValue']", "[data-testid='stMetricLabel']",
    "[data-testid='stVegaLiteChart']", "[data-testid='stMarkdownContainer'] p",
])  # fmt: skip
# the room's charts: strip, bars, grids, SmoothQuant's layer and maxima, the model against α,
# one Linear's methods, every Linear's, the model against bits (after the page's two)
ROOM_CHARTS = 9


@pytest.mark.skipif(not qv.model_installed("minilm-l6"), reason="MiniLM-L6 is not installed")
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", list(SIZES))
def test_every_chart_of_the_room_is_drawn_and_nothing_is_cut(
    browser: Browser, app_url: str, size: str, lang: str, tmp_path
):
    context = browser.new_context(viewport=SIZES[size], device_scale_factor=1)
    context.set_default_timeout(FIRST_LOAD_TIMEOUT_MS)
    page = context.new_page()
    try:
        open_app(page, f"{app_url}/?room=Transformer&lang={lang}")
        wait_for_charts(page)
        assert_no_errors(page)
        charts = page.get_by_test_id("stVegaLiteChart")
        assert charts.count() == 2 + ROOM_CHARTS
        widths = [charts.nth(i).locator("canvas, svg").first.bounding_box()["width"]
                  for i in range(charts.count())]  # fmt: skip
        assert min(widths) > 300, widths
        assert overflowing(page, CUT) == []
        page.screenshot(path=str(tmp_path / f"transformer-{lang}-{size}.png"), full_page=True)
    finally:
        context.close()
