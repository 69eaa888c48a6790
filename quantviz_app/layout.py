"""The page's frame: title, sidebar, and the few style rules that make it fit a projector.

Fonts and paddings that Streamlit's theme can set are in ``.streamlit/config.toml``;
the rules here do what the theme cannot: narrower side margins (1024-px projectors),
metric values that scale with the window so no number is cut to "…", and the class
view's large numbers.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from quantviz_app.i18n import EN, Tr

SIDEBAR_WIDTH = 270  # px
# The tab's icon, shipped: Streamlit sends an SVG file to the browser inline (a data: URL),
# where a ":material/…:" icon or an emoji is fetched from a font CDN (no network in class).
ICON = Path(__file__).resolve().parents[1] / "assets" / "favicon.svg"

STYLE = """
<style>
/* a thinner header (its buttons are 28 px) and the page right under it: 20 px more picture */
[data-testid="stHeader"] { height: 2.5rem; min-height: 2.5rem; }
[data-testid="stMainBlockContainer"] { padding: 3rem 2rem 1rem 2rem; }
[data-testid="stMetricValue"] { font-size: clamp(1.1rem, 2.05vw, 1.75rem); }
/* a long number ("19,154 of 65,536") wraps inside its card instead of ending in "…" */
[data-testid="stMetricValue"] > div, [data-testid="stMetricValue"] p { white-space: normal; }
/* the numbers beside the histogram: label and value on one line, wrapping if narrow */
.st-key-numbers [data-testid="stMetric"] > div {
  display: flex; flex-flow: row wrap; align-items: baseline;
  justify-content: space-between; column-gap: 0.75rem; padding: 0.3rem 0.8rem;
}
.st-key-numbers [data-testid="stVerticalBlock"] { gap: 0.5rem; }
.st-key-numbers [data-testid="stMetricValue"] { margin-left: auto; }  /* right, if wrapped */
/* a list of choices (lessons, tensors) as wide as its longest choice, wrapping past 30rem */
[data-testid="stSelectboxVirtualDropdown"] {
  width: max-content !important; min-width: var(--trigger-width); max-width: min(30rem, 90vw);
}
[data-testid="stSelectboxVirtualDropdown"] [role="option"] > div {
  white-space: normal; overflow-wrap: anywhere;
}
/* the lesson box beside the picture: tight, so its question and Check stay on the screen */
.st-key-lesson_box [data-testid="stVerticalBlock"] { gap: 0.6rem; }
.st-key-lesson_box h4 { font-size: 1.05rem; padding-bottom: 0.25rem; }
/* the scenes: their label in the row of buttons, not a row of its own */
.st-key-scene [data-testid="stButtonGroup"] {
  display: flex; flex-flow: row wrap; align-items: center; column-gap: 0.75rem;
}
.st-key-scene [data-testid="stWidgetLabel"] { margin: 0; }
.st-key-scene [role="radiogroup"] { flex: 1 1 20rem; }
/* the uploader's list of file types wraps instead of ending in "…" */
[data-testid="stFileUploaderDropzoneInstructions"] span { white-space: normal; }
.st-key-classroom [data-testid="stMetricValue"] { font-size: clamp(1.9rem, 4vw, 3.2rem); }
.st-key-classroom [data-testid="stMetricLabel"] p { font-size: 1.2rem; }
.st-key-classroom [data-testid="stMetric"] > div { padding: 0.5rem 0.9rem; }
</style>
"""
CLASS_STYLE = """
<style>
[data-testid="stMainBlockContainer"] { padding-bottom: 0.5rem; }
</style>
"""


def frame(view: str, t: Tr = EN) -> None:
    """Page config (the class view starts with the sidebar closed) and the style rules."""
    st.set_page_config(
        page_title=t("text.page_title", "quantviz: watch quantization happen"),
        page_icon=ICON,
        layout="wide",
        initial_sidebar_state="collapsed" if view == "class" else SIDEBAR_WIDTH,
    )
    st.html(STYLE + (CLASS_STYLE if view == "class" else ""))
