"""What a hostile link or file name becomes in a real browser: text, never a link, a picture
or an address the browser fetches (issue 22, item 8). Streamlit renders Markdown with GFM,
which links bare ``http://`` addresses too; the page escapes every value it repeats.

Run like tests/e2e/test_browser.py (its own served app, Debian chromium).
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING

import pytest
from browser_helpers import open_app, require_browser_tools, upload_file

if TYPE_CHECKING:  # pragma: no cover
    from playwright.sync_api import Page

require_browser_tools(collecting=True)  # skips this module when a tool is missing (not in CI)

pytestmark = pytest.mark.browser

EVIL = "evil.example"
LINKS = {
    "image": {"bits": f"![](http://{EVIL}/x.png)"},
    "phishing": {
        "source": "model",
        "layer": f"[Your session expired, log in](http://{EVIL}/login)",
    },
    "bare": {"dist": f"http://{EVIL}/login"},
    "www": {"preset": f"www.{EVIL}"},
    "html": {"hide": f'<img src="http://{EVIL}/y.png">'},
}


def nothing_evil(page: Page, fetched: list[str]) -> None:
    """No link or picture in the page points at the attacker, and the browser asked it for
    nothing."""
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    pictures = page.eval_on_selector_all("img[src]", "els => els.map(e => e.src)")
    assert not [u for u in links + pictures if EVIL in host(u)], links + pictures
    assert not [u for u in fetched if EVIL in host(u)], fetched


def host(url: str) -> str:
    return urllib.parse.urlparse(url).hostname or ""


def read(shown: str) -> str:
    """The text as a person reads it (the invisible word joiners that stop links left out)."""
    return shown.replace("\u2060", "")


def watch(page: Page) -> list[str]:
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.route(f"**/*{EVIL}*/**", lambda route: route.abort())  # never leave the machine
    return fetched


@pytest.mark.parametrize("case", list(LINKS))
def test_a_hostile_link_is_shown_as_text(page: Page, app_url: str, case: str):
    fetched = watch(page)
    query = LINKS[case]
    open_app(page, f"{app_url}/?{urllib.parse.urlencode(query)}")
    warning = page.get_by_test_id("stAlertContentWarning").first
    said = list(query.values())[-1]
    assert said[:40] in read(warning.inner_text())  # the value itself, as typed
    nothing_evil(page, fetched)


def test_a_hostile_file_name_is_shown_as_text(page: Page, app_url: str):
    fetched = watch(page)
    open_app(page, f"{app_url}/?n=1000")
    name = f"[log in](https:{EVIL}) www.{EVIL} me@{EVIL}.npy"
    upload_file(page, name, b"not numpy")
    error = page.get_by_test_id("stAlertContentError").first
    assert f"{name} is not a NumPy .npy file" in read(error.inner_text())
    nothing_evil(page, fetched)
