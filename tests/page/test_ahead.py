"""The bit widths the page sends ahead of the slider (views/ahead.py) and what the browser is
given for them: the histograms at each width, marked by a ``bits`` column, and the cards'
values as the cards write them. The browser side is tests/e2e/test_framerate_browser.py."""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa

import quantviz as qv
from quantviz_app.cache import Store
from quantviz_app.data import Data
from quantviz_app.move import Move
from quantviz_app.schema import Settings
from quantviz_app.views import ahead, histograms, numbers


def move(x: np.ndarray, **settings) -> Move:
    data = Data(("synthetic", "t"), x, "t", None, 0, Store(10**9))
    return Move.at(Settings().replace(**settings), data)


LAPLACE = qv.sample("laplace", n=20_000, seed=0)


def test_the_widths_two_key_presses_away_are_sent_ahead():
    assert list(ahead.moves(move(LAPLACE, bits=4), set())) == [2, 3, 4, 5, 6]
    assert list(ahead.moves(move(LAPLACE, bits=1), set())) == [1, 2, 3]
    assert list(ahead.moves(move(LAPLACE, bits=16), set())) == [14, 15, 16]


def test_each_width_is_the_move_the_server_makes_there():
    m = move(LAPLACE, bits=4, strategy="percentile")
    for bits, there in ahead.moves(m, set()).items():
        assert there.s == m.s.replace(bits=bits)
        server = move(LAPLACE, bits=bits, strategy="percentile")
        assert there.result.metrics == server.result.metrics


def test_without_the_slider_only_the_width_on_screen_is_sent():
    assert list(ahead.moves(move(LAPLACE, bits=4), {"bits"})) == [4]  # a link hides it
    assert list(ahead.moves(move(LAPLACE, format="nf4"), set())) == [4]  # a format decides


def test_a_width_kept_in_the_cache_is_sent_too():
    m = move(LAPLACE, bits=8)
    kept = {3, 8, 12}
    got = ahead.moves(m, set(), kept=lambda there: there.s["bits"] in kept)
    assert list(got) == [3, 6, 7, 8, 9, 10, 12]


def test_a_width_the_core_refuses_stays_with_the_server():
    # [-3e38, 3e38] at 1 bit: the end levels would lie beyond float32's largest number
    m = move(np.float32([-3e38, 3e38, 0, 1]), bits=4)  # and so are 2 and 3 bits
    assert list(ahead.moves(m, set())) == [4, 5, 6]


def test_a_large_tensor_sends_its_neighbours_or_only_itself():
    big = np.random.default_rng(0).standard_normal((1000, 400)).astype(np.float32)  # 400,000
    assert list(ahead.moves(move(big, bits=5), set())) == [4, 5, 6]
    assert list(ahead.moves(move(big, bits=5, granularity="channel"), set())) == [4, 5, 6]


def test_the_histograms_of_every_width_go_as_one_set_marked_by_width():
    m = move(np.float32([0.0, 0.4, 0.6, 1.4, 2.6, 3.0, 3.0]), bits=2)
    sets = histograms.ahead_data(ahead.moves(m, set()))

    def read(name: str) -> dict:
        return pa.ipc.open_stream(io.BytesIO(sets[name])).read_all().to_pydict()

    spikes = read("spikes")
    at2 = [level for level, b in zip(spikes["level"], spikes["bits"], strict=True) if b == 2]
    assert at2 == [0.0, 1.0, 3.0]  # 2 bits on [0, 3]: the levels used, once each
    assert set(spikes["bits"]) == {1, 2, 3, 4}
    assert "bits" not in read("original")  # the original does not change with the width


def test_the_cards_values_by_width_are_what_the_server_writes_there():
    values = numbers.ahead_values(ahead.moves(move(LAPLACE, bits=4), set()))
    assert values[4]["Levels used"] == "14 of 16"  # two of the 16 levels are never hit
    assert values[2] == {"Step size": "4.878", "Zero point": "1", "SQNR": "1.1 dB",
                         "MSE": "0.773", "Max error": "2.44", "Clipped": "0 %",
                         "Levels used": "4 of 4", "Bits/weight": "2.00"}  # fmt: skip
    for bits in (2, 3, 5, 6):  # the cards the server shows when it gets there
        shown = numbers.cards(move(LAPLACE, bits=bits).result)
        assert values[bits] == {card.label: card.value for card in shown}
