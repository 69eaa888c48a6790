"""The page's frame: title, sidebar, and the few style rules that make it fit a projector.

Fonts and paddings that Streamlit's theme can set are in ``.streamlit/config.toml``;
the rules here do what the theme cannot: narrower side margins (1024-px projectors),
metric values that scale with the window so no number is cut to "…", and the class
view's large numbers.
"""

from __future__ import annotations

from datetime import timedelta
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
/* the rooms' tabs wrap onto a second row on a projector instead of scrolling out of sight */
[data-testid="stTabs"] [role="tablist"] { flex-wrap: wrap; row-gap: 0.1rem; }
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
/* its buttons (the next lesson is named by its title) wrap instead of ending in "…" */
.st-key-lesson_box button p { white-space: normal; text-align: left; }
/* the scenes: their label in the row of buttons, not a row of its own */
.st-key-scene [data-testid="stButtonGroup"] {
  display: flex; flex-flow: row wrap; align-items: center; column-gap: 0.75rem;
}
.st-key-scene [data-testid="stWidgetLabel"] { margin: 0; }
.st-key-scene [role="radiogroup"] { flex: 1 1 20rem; }
/* the uploader's list of file types wraps instead of ending in "…" */
[data-testid="stFileUploaderDropzoneInstructions"] span { white-space: normal; }
/* the script that lets the browser follow the bit slider draws nothing: no room for it */
.st-key-follow { display: none; }
.st-key-classroom [data-testid="stMetricValue"] { font-size: clamp(1.9rem, 4vw, 3.2rem); }
.st-key-classroom [data-testid="stMetricLabel"] p { font-size: 1.2rem; }
.st-key-classroom [data-testid="stMetric"] > div { padding: 0.5rem 0.9rem; }
</style>
"""
# While the browser has lost its server (Streamlit's status says only "CONNECTING"): one
# sentence across the top of the page. Streamlit marks its root element with the
# connection's state (INITIAL, PINGING_SERVER, CONNECTING, CONNECTED, DISCONNECTED_FOREVER);
# this rule arrives with the first run, so a first load says nothing.
OFFLINE_STYLE = """
<style>
[data-testid="stApp"]:not([data-test-connection-state="CONNECTED"])::before {
  content: "%s"; position: fixed; z-index: 1000100; top: 3rem; left: 50%%;
  transform: translateX(-50%%); width: max-content; max-width: min(40rem, 90vw);
  padding: 0.6rem 1rem; border-radius: 0.5rem; font-size: 1rem; line-height: 1.4;
  background: #fff4d6; color: #4a3500; border: 1px solid #e0b94a;
  box-shadow: 0 2px 8px rgba(0, 0, 0, 0.15);
}
[data-testid="stApp"][data-test-connection-state="DISCONNECTED_FOREVER"]::before {
  content: "%s";
}
</style>
"""
CLASS_STYLE = """
<style>
[data-testid="stMainBlockContainer"] { padding-bottom: 0.5rem; }
</style>
"""


# Every reconnect reruns the whole page, in a session that may be new. Streamlit's browser
# side reruns the page when it reconnects only if its last run was a fragment's or the page
# has a fragment that reruns by itself (1.67, App.handleConnectionStateChanged:
# ``!sessionInfo.last || running || fragmentIdsThisRun.length > 0 ||
# autoRerunIntervals.size > 0``). Otherwise it keeps the old page over a session that has
# never run it (a replica died, the server restarted): a fragment's widget (the bit slider)
# asks for a fragment the session does not know, and nothing runs; a widget outside them
# (a scene) reruns the page, but a session that never drew the widget cannot call its
# on_change. An empty fragment that reruns itself once a day (setInterval's limit is 24.8
# days) makes the browser rerun the page on every reconnect; it draws nothing and takes no
# room. A public API, no JavaScript of ours.
RERUN_EVERY = timedelta(days=1)


@st.fragment(run_every=RERUN_EVERY)
def rerun_on_reconnect() -> None:
    """Nothing to draw: its being on the page is what counts (above)."""


def css_string(sentence: str) -> str:
    """``sentence`` as the inside of a CSS string literal."""
    return sentence.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def frame(view: str, t: Tr = EN) -> None:
    """Page config (the class view starts with the sidebar closed), the style rules, the
    sentence shown while the server is lost, and the rerun on reconnect."""
    st.set_page_config(
        page_title=t("text.page_title", "quantviz: watch quantization happen"),
        page_icon=ICON,
        layout="wide",
        initial_sidebar_state="collapsed" if view == "class" else SIDEBAR_WIDTH,
    )
    offline = OFFLINE_STYLE % (
        css_string(t("text.connection.lost", "The connection to the server was lost; "
                     "reconnecting… Your settings are in the page's link; if the server "
                     "restarted, a file you uploaded must be uploaded again.")),
        css_string(t("text.connection.gone", "The connection to the server was lost. "
                     "Reload the page: your settings are in its link.")),
    )  # fmt: skip
    st.html(STYLE + offline + (CLASS_STYLE if view == "class" else ""))
    rerun_on_reconnect()
