"""简体中文: every key the page asks for is in the Chinese catalogue with the same fields as
its English; the Chinese lessons are the English ones, translated; and the Chinese class
view and lessons show no English sentence."""

from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import quantviz as qv
from quantviz_app.i18n import catalogue
from quantviz_app.lessonfile import lessons_in, placeholders
from quantviz_app.presets import PRESETS
from quantviz_app.schema import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
ZH = catalogue("zh")


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _strings(node: ast.AST) -> list[str]:
    """The string constants an English template is made of (literals and + of literals)."""
    return [
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def keys_in_code() -> dict[str, set[str]]:
    """Every literal key the page passes to a translator, with its English's fields."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / "quantviz_app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and len(node.args) >= 2):
                continue
            key = node.args[0]
            if (
                isinstance(key, ast.Constant)
                and isinstance(key.value, str)
                and re.fullmatch(r"(text|noun)\.[a-z0-9_.]+", key.value)
            ):
                found.setdefault(key.value, set()).update(*map(fields, _strings(node.args[1])))
    return found


def keys_of_declarations() -> dict[str, set[str]]:
    """The keys of the strings declared outside the code's sentences (settings, strategies,
    distributions, presets): no fields."""
    keys = {}
    for s in SETTINGS:
        if s.widget is None:
            continue
        keys[f"setting.{s.key}.label"] = set()
        if s.help:
            keys[f"setting.{s.key}.help"] = set()
        for option in s.options if s.option_labels else ():
            keys[f"setting.{s.key}.option.{option}"] = set()
    for s in qv.strategies():
        keys[f"strategy.{s.name}.description"] = set()
    for d in qv.distributions():
        keys[f"dist.{d.name}.description"] = set()
    for p in PRESETS:
        keys[f"preset.{p.key}.title"] = keys[f"preset.{p.key}.lesson"] = set()
    for g in qv.GRANULARITIES:
        keys[f"text.granularity.{g}"] = set()
    keys["noun.value"] = keys["noun.bit"] = set()
    return keys


KEYS = {**keys_in_code(), **keys_of_declarations()}


@pytest.mark.parametrize("key", sorted(KEYS))
def test_the_chinese_catalogue_has_every_key_with_its_fields(key):
    wanted = KEYS[key]
    assert key in ZH, f"zh.toml lacks {key}"
    assert fields(ZH[key]) == wanted, f"{key}: {fields(ZH[key])} != {wanted}"


def test_the_chinese_lessons_are_the_english_ones_translated():
    en, zh = lessons_in("en"), lessons_in("zh")
    assert [x.id for x in zh] == [x.id for x in en]
    for a, b in zip(en, zh, strict=True):
        assert (a.order, a.view, len(a.steps)) == (b.order, b.view, len(b.steps))
        for sa, sb in zip(a.steps, b.steps, strict=True):
            assert dict(sa.settings) == dict(sb.settings)
            assert set(placeholders(sa.text)) == set(placeholders(sb.text))
            qa, qb = sa.question, sb.question
            assert (qa is None) == (qb is None)
            if qa is None:
                continue
            assert (qa.kind, qa.answer, qa.tolerance) == (qb.kind, qb.answer, qb.tolerance)
            keys_a = [o if isinstance(o, str) else o[0] for o in qa.options]
            assert keys_a == [o if isinstance(o, str) else o[0] for o in qb.options]
            assert set(qa.why) == set(qb.why)
            for x, y in [(qa.prompt, qb.prompt), (qa.explain, qb.explain)]:
                assert set(placeholders(x)) == set(placeholders(y))


# Latin words a Chinese page keeps: units, acronyms, names, the formula's letters.
ALLOWED = {"SQNR", "MSE", "min", "max", "dB", "float32", "PyTorch", "TensorRT", "MinMaxObserver",
           "KL", "ACIQ", "ModelOpt", "quantviz", "English", "log10"}  # fmt: skip
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{2,}")


def english_words(texts: list[str]) -> list[str]:
    return sorted({w for t in texts for w in ENGLISH_WORD.findall(t) if w not in ALLOWED})


def shown_texts(at: AppTest) -> list[str]:
    """What a student reads in the main area: text, labels, numbers, chart titles."""
    texts = [m.value for m in at.main.markdown] + [m.value for m in at.main.success]
    texts += [w.label for w in [*at.main.slider, *at.main.selectbox, *at.main.text_input]]
    texts += [f"{m.label} {m.value}" for m in at.main.metric]
    texts += [b.label for b in at.main.button]
    charts = at.main.get("vega_lite_chart")
    assert charts, "no chart found: the check would see nothing"
    for chart in charts:
        spec = json.loads(chart.proto.spec)
        texts += [
            layer["encoding"][axis]["title"]
            for layer in spec["layer"]
            for axis in ("x", "y")
            if (layer.get("encoding", {}).get(axis) or {}).get("title")
        ]
        for data in chart.proto.datasets:
            if data.name.startswith("title"):  # the chart's title, as the browser draws it
                texts += pa.ipc.open_stream(data.data.data).read_all().column("text").to_pylist()
    return texts


def open_zh(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in {"lang": "zh", **query}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_chinese_class_view_shows_no_english_sentence():
    at = open_zh(view="class", preset="two_bits")
    texts = shown_texts(at)
    assert "**2 比特**：" + ZH["preset.two_bits.lesson"] in texts
    assert "步长 3.075" in texts and "用到的量化级 4 / 4" in texts
    assert "2 比特量化后：用到 4 / 4 个量化级" in texts and "数值" in texts
    assert english_words(texts) == []


@pytest.mark.parametrize(
    ("lesson", "heading"),
    [("what-a-step-is", "#### 什么是步长 · 第 1 步，共 3 步"),
     ("outliers-and-clipping", "#### 离群值与裁剪 · 第 1 步，共 2 步")],
)  # fmt: skip
def test_a_chinese_lesson_step_shows_no_english_sentence(lesson, heading):
    at = open_zh(lesson=lesson)
    box = [m.value for m in at.main.markdown][:3]  # heading, text, question
    assert box[0] == heading
    assert english_words(box + [b.label for b in at.main.button]) == []
