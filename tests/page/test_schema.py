"""The settings schema: shared links parse safely, say what they get wrong, and round-trip."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from quantviz_app.schema import (
    BY_KEY,
    SETTINGS,
    Settings,
    distribution_params,
    parse_link,
    quantize_kwargs,
    to_link,
)


def test_an_empty_link_is_the_default_page():
    assert parse_link({}) == (Settings(), [])


def test_the_default_link_pins_the_data_and_the_main_choices():
    assert to_link(Settings()) == {
        "dist": "laplace", "n": "100000", "seed": "0", "bits": "4", "scheme": "asymmetric",
        "strategy": "minmax", "granularity": "tensor",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ({"bits": "abc"}, "bits must be a whole number from 1 to 16; the link says 'abc'."),
        ({"bits": "17"}, "bits must be a whole number from 1 to 16; the link says '17'."),
        ({"bits": "2.5"}, "bits must be a whole number from 1 to 16; the link says '2.5'."),
        ({"n": "5"}, "n must be one of 1000, 10000, 100000, 1000000; the link says '5'."),
        ({"seed": "-1"},
         "seed must be a whole number from 0 to 4,294,967,295; the link says '-1'."),
        ({"scheme": "odd"},
         "scheme must be one of asymmetric, symmetric, narrow; the link says 'odd'."),
        ({"strategy": "percentile", "percentile": "120"},
         "percentile must be a number from 50 to 100; the link says '120'."),
        ({"strategy": "manual", "low": "2", "high": "1"},
         "low and high must be two numbers, the first smaller; the link says low='2' and "
         "high='1'."),
        ({"source": "file"}, "An uploaded file cannot travel in a link: upload it again."),
        ({"view": "projector"}, "view must be one of main, class; the link says 'projector'."),
    ],
)  # fmt: skip
def test_a_bad_link_value_is_named_in_one_sentence_and_ignored(query, note):
    s, notes = parse_link(query)
    assert [str(n) for n in notes] == [note]
    assert s == Settings({k: v for k, v in s.items() if k in ("strategy",)})


def test_a_value_for_a_setting_that_does_not_apply_is_ignored_silently():
    # df belongs to student_t; with the default laplace it means nothing
    assert parse_link({"df": "0.5"}) == (Settings(), [])
    # a distribution's parameter is read for that distribution only
    s, notes = parse_link({"dist": "student_t", "df": "4", "scale": "2"})
    assert notes == []
    assert distribution_params(s) == {"df": 4.0, "scale": 2.0}
    assert s["laplace.scale"] == BY_KEY["laplace.scale"].default


def test_the_seed_of_stochastic_rounding_travels_with_a_shipped_tensor():
    s, _ = parse_link({"source": "sample", "rounding": "stochastic", "seed": "5"})
    assert s["seed"] == 5
    assert to_link(s)["seed"] == "5"
    assert quantize_kwargs(s)["seed"] == 5


def test_links_of_the_previous_version_still_open():
    assert parse_link({"symmetric": "true"})[0]["scheme"] == "symmetric"
    assert parse_link({"symmetric": "true", "narrow": "true"})[0]["scheme"] == "narrow"


def test_hide_names_controls_and_groups():
    s, notes = parse_link({"hide": "data,scheme"})
    assert notes == [] and s["hide"] == ("data", "scheme")
    _, notes = parse_link({"hide": "bits,wings"})
    assert [str(n) for n in notes] == [
        "hide must be a comma-separated list of data, quantization, view, presets, source, "
        "dist, … ('wings' is not one); the link says 'bits,wings'."
    ]


def test_quantize_kwargs_of_a_full_setting():
    s = Settings.of({
        "bits": 3, "scheme": "narrow", "strategy": "percentile", "percentile": 99.5,
        "granularity": "group", "group_size": 32, "rounding": "stochastic", "seed": 7,
    })  # fmt: skip
    assert quantize_kwargs(s) == {
        "bits": 3, "symmetric": True, "narrow_range": True, "strategy": "percentile",
        "percentile": 99.5, "granularity": "group", "group_size": 32, "rounding": "stochastic",
        "seed": 7,
    }  # fmt: skip


def test_settings_are_immutable_and_hashable():
    s = Settings()
    with pytest.raises(AttributeError):
        s.bits = 3  # type: ignore[misc]
    assert hash(s) == hash(Settings()) and s.replace(bits=3) != s
    assert s.replace(bits=3).differs(s) == ["bits"]


def _value(setting):
    """A hypothesis strategy for valid values of one setting."""
    if setting.kind == "bool":
        return hs.booleans()
    if setting.kind == "int":
        return hs.integers(int(setting.low), int(min(setting.high, 2**31)))
    if setting.kind == "float":
        return hs.floats(setting.low, setting.high).map(lambda v: float(f"{v:.6g}"))
    if setting.kind == "choice":
        options = setting.link_options or setting.options
        return hs.sampled_from(options)
    if setting.kind == "choices":
        return hs.lists(hs.sampled_from(setting.options), unique=True, max_size=3).map(tuple)
    if setting.kind == "range":
        return hs.tuples(hs.floats(-1e3, 0), hs.floats(0.001, 1e3)).map(
            lambda p: (float(f"{p[0]:.6g}"), float(f"{p[1]:.6g}"))
        )
    return hs.text(alphabet="abc._0123", min_size=1, max_size=20)


@settings(max_examples=200, deadline=None)
@given(hs.fixed_dictionaries({s.key: _value(s) for s in SETTINGS if s.url_keys}))
def test_every_link_restores_its_settings(values):
    s = Settings.of(values)
    back, notes = parse_link(to_link(s))
    assert notes == []
    for setting in SETTINGS:
        if setting.url_keys and s.applies(setting.key):
            assert back[setting.key] == s[setting.key], setting.key
