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
from quantviz.fit import fit_settings
from quantviz.io import read_weights
from quantviz_app.data import SAMPLE_FILE
from quantviz_app.fitting import note
from quantviz_app.i18n import Tr, catalogue
from quantviz_app.lessonfile import lessons_in, placeholders
from quantviz_app.presets import PRESETS
from quantviz_app.schema import BY_KEY, SCHEMES, SETTINGS
from quantviz_app.views import tabs
from tests.conftest import unescape

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


def _literal_keys(node: ast.AST) -> list[str]:
    """The keys a call's first argument names: a literal, or either literal of a
    conditional (``"…_one" if k == 1 else "…_many"``)."""
    options = [node.body, node.orelse] if isinstance(node, ast.IfExp) else [node]
    return [
        o.value
        for o in options
        if isinstance(o, ast.Constant)
        and isinstance(o.value, str)
        and re.fullmatch(r"(text|noun)\.[a-z0-9_.]+", o.value)
    ]


def _noun(node: ast.Call) -> str | None:
    """The noun of a ``t.count(n, "noun")`` call (its key is ``noun.<noun>``)."""
    if isinstance(node.func, ast.Attribute) and node.func.attr == "count":
        noun = node.args[1]
        if isinstance(noun, ast.Constant) and isinstance(noun.value, str):
            return noun.value
    return None


def keys_in_code() -> dict[str, set[str]]:
    """Every literal key the page passes to a translator, with its English's fields, and the
    noun of every count."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / "quantviz_app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and len(node.args) >= 2):
                continue
            for key in _literal_keys(node.args[0]):
                found.setdefault(key, set()).update(*map(fields, _strings(node.args[1])))
            noun = _noun(node)
            if noun is not None:
                found.setdefault(f"noun.{noun}", set())
    return found


FIT_FIELDS = {"needs_rows": {"granularity", "ndim"}, "no_axis": {"axis"},
              "group_size": {"wanted", "last", "size"},
              "per_tensor_only": {"strategy", "granularity"}, "narrow_bits": set()}  # fmt: skip
"""The fields of each ``text.fit.<reason>`` (``quantviz_app.fitting.note``)."""


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
    for f in qv.formats():
        keys[f"format.{f.name}.description"] = set()
    for s in SETTINGS:
        if s.link_refusal:
            keys[f"setting.{s.key}.refusal"] = set()
    for p in PRESETS:
        keys[f"preset.{p.key}.title"] = keys[f"preset.{p.key}.lesson"] = set()
    for g in qv.GRANULARITIES:
        keys[f"text.granularity.{g}"] = set()
    for scheme in SCHEMES:
        keys[f"text.scheme.{scheme}"] = set()
    for room in BY_KEY["room"].options:  # shown as the rooms' tabs
        keys[f"setting.room.option.{room}"] = set()
    for reason, names in FIT_FIELDS.items():
        keys[f"text.fit.{reason}"] = names
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


# Latin words a Chinese page keeps: units, acronyms, names, the formula's letters and functions
# (log10, round), names of libraries and file formats.
ALLOWED = {"SQNR", "MSE", "INT4", "min", "max", "dB", "float32", "PyTorch", "TensorRT",
           "MinMaxObserver", "KL", "ACIQ", "ModelOpt", "quantviz", "English", "log10", "round",
           "numpy", "RMSE",
           "NaN", "Inf", "Python", "PNG", "SVG", "dpi"}  # fmt: skip
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{2,}")
MATH = re.compile(r"\$[^$]*\$")
TEX_TEXT = re.compile(r"\\text\{([^{}]*)\}")
# The number formats' names (fp8_e4m3, nvfp4, NF4, …) are names too, kept as they are.
ALLOWED |= {w for f in qv.formats() for name in (f.name, f.name.upper())
            for w in ENGLISH_WORD.findall(name)} | {"GGML"}  # fmt: skip
# … and their sources and encodings: names, not sentences
ALLOWED |= {"INT", "QLoRA", "llama", "cpp", "XNOR", "Net", "TWN", "absmax", "fp16", "E8M0",
            "UCI"}  # fmt: skip
# … the integer pipeline's and QAT's names: types, operators, layers, methods and their authors
ALLOWED |= {"int8", "uint8", "int32", "int64", "ONNX", "onnxruntime", "opset", "QuantizeLinear",
            "QLinearConv", "MaxPool", "MatMulInteger", "ReLU", "logits", "acc", "conv1", "conv2",
            "fc1", "fc2", "CNN", "Jacob", "PTQ", "QAT", "STE", "LSQ", "Bengio", "Esser",
            "FakeQuantize", "Adam"}  # fmt: skip
# … and the transformer's: the model, its parts, the methods and the task's measures
ALLOWED |= {"Transformer", "MiniLM", "sentence", "transformers", "all", "Apache", "LayerNorm",
            "GELU", "FFN", "query", "key", "value", "CLS", "SEP", "RTN", "GPTQ", "AWQ",
            "SmoothQuant", "MRR", "W8A6", "W8A8", "A6", "A8"}  # fmt: skip
CHART_WORDS = ("text", "series", "grid", "what", "cause")  # data columns a chart writes out


def english_words(texts: list[str]) -> list[str]:
    return sorted({w for t in texts for w in ENGLISH_WORD.findall(t) if w not in ALLOWED})


def words_of_math(tex: str) -> str:
    """The words a formula shows: what its ``\\text{…}`` say (the rest is math)."""
    return " ".join(TEX_TEXT.findall(tex))


def prose(markdown: str) -> str:
    """Markdown with its inline math reduced to the math's words."""
    return MATH.sub(lambda m: words_of_math(m.group(0)), markdown)


def _titles(spec: object) -> list[str]:
    """Every title in a chart's spec: axes, legends, hover labels."""
    if isinstance(spec, dict):
        own = [spec["title"]] if isinstance(spec.get("title"), str) else []
        return own + [t for v in spec.values() for t in _titles(v)]
    if isinstance(spec, list):
        return [t for v in spec for t in _titles(v)]
    return []


def chart_texts(chart) -> list[str]:
    """What a chart writes: its titles (in its data, as the browser draws them), axis titles,
    legend entries and hover labels."""
    texts = _titles(json.loads(chart.proto.spec))
    for data in chart.proto.datasets:
        table = pa.ipc.open_stream(data.data.data).read_all()
        for column in set(CHART_WORDS) & set(table.column_names):
            texts += [str(v) for v in table.column(column).to_pylist() if v is not None]
    return texts


def headers(frame) -> list[str]:
    """A table's column headers as shown (a dataframe's column config may rename them)."""
    config = json.loads(getattr(frame.proto, "columns", "") or "{}")
    return [config.get(str(c), {}).get("label", str(c)) for c in frame.value.columns]


def shown_texts(at: AppTest) -> list[str]:
    """What a student reads in the main area: text, labels, numbers, notes, formulas' words,
    tables' headers, charts' words (code blocks are code, and exempt)."""
    main = at.main
    texts = [prose(m.value) for m in [*main.markdown, *main.caption, *main.info, *main.warning]]
    texts += [m.value for m in [*main.success, *main.subheader]]
    texts += [words_of_math(m.value) for m in main.latex]
    texts += [w.label for w in [*main.slider, *main.selectbox, *main.text_input, *main.toggle,
                                *main.multiselect, *main.tabs]]  # fmt: skip
    texts += [f"{m.label} {m.value}" for m in main.metric]
    texts += [b.label for b in main.button]
    texts += [h for frame in [*main.dataframe, *main.table] for h in headers(frame)]
    charts = main.get("vega_lite_chart")
    assert charts, "no chart found: the check would see nothing"
    for chart in charts:
        texts += chart_texts(chart)
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
    assert "2 比特量化后\n用到 4 / 4 个量化级" in texts and "数值" in texts
    assert english_words(texts) == []


@pytest.mark.parametrize(
    ("lesson", "heading"),
    [("what-a-step-is", "#### 什么是步长 · 第 1 步，共 3 步"),
     ("outliers-and-clipping", "#### 离群值与裁剪 · 第 1 步，共 2 步")],
)  # fmt: skip
def test_a_chinese_lesson_step_shows_no_english_sentence(lesson, heading):
    at = open_zh(lesson=lesson)
    texts = [m.value for m in at.main.markdown]
    assert heading in texts  # beside the picture, after the line that says what is shown
    box = texts[texts.index(heading) :][:3]  # heading, text, question
    assert english_words(box + [b.label for b in at.main.button]) == []


def test_the_chinese_page_shows_no_english_sentence():
    at = open_zh()
    texts = shown_texts(at)
    assert "权衡：误差与位宽" in texts and "位宽（比特）" in texts
    assert [t.label for t in at.main.tabs] == [
        "权衡", "格式", "公式", "特写", "阶梯", "准确率", "整数推理", "量化感知训练",
        "Transformer", "带回家",
    ]  # fmt: skip
    assert english_words(texts) == []


ROOMS = [r for r in BY_KEY["room"].options if r not in {"Channels", "Whole model", "Block"}]


def open_room(**query: str) -> list[str]:
    """The Chinese page with a room open (by the link's value): what it shows."""
    at = open_zh(**query)
    assert at.query_params.get("room", "Trade-off") == query["room"]  # the link's value stays
    label = ZH[f"setting.room.option.{query['room']}"]
    (tab,) = [t for t in at.main.tabs if t.label == label]
    assert len(tab.children) > 0  # the room is drawn: its words are among those checked
    return shown_texts(at)


@pytest.mark.parametrize(
    "query",
    [*({"room": r} for r in ROOMS), {"room": "Channels", "dist": "layer"},
     {"room": "Block", "format": "nvfp4"}, {"room": "Block", "format": "q4_1"},
     {"room": "Formats", "format": "nf4"}],
    ids=[*ROOMS, "Channels", "Block-nvfp4", "Block-q4_1", "Formats-nf4"],
)  # fmt: skip
def test_each_chinese_room_shows_no_english_sentence(query):
    assert english_words(open_room(**query)) == []


def test_the_chinese_whole_model_room_shows_no_english_sentence():
    # the file's name and its tensors' names and types are data, not sentences
    weights = read_weights(SAMPLE_FILE)
    names = [SAMPLE_FILE.name, *(f"{i.name} {i.dtype}" for i in weights.infos)]
    data_words = set(english_words(names))
    texts = open_room(room="Whole model", source="sample")
    assert [w for w in english_words(texts) if w not in data_words] == []


def test_a_tab_opens_its_room_whatever_its_name():
    state = {tabs.TABS: "特写"}
    tabs.open_room(state, {"权衡": "Trade-off", "特写": "Close-up"})
    assert state["room"] == "Close-up"


def test_the_chinese_worked_example_shows_no_english_sentence():
    at = open_zh(lesson="worked-example", bits="3", scheme="symmetric", follow="6")
    assert english_words(shown_texts(at)) == []  # the question, before the answer
    next(b for b in at.button if b.key.startswith("show_worked_guess_")).click()
    at.run()
    texts = shown_texts(at)
    assert "## 完整算例，逐步演算" in texts and "### 常见错误，用这些数字来看" in texts
    assert list(at.dataframe[0].value.columns)[5] == "钳位 → q"
    assert any(t.startswith("**第 6 个数值：x = 5.6。**") for t in texts)
    assert english_words(texts) == []


@pytest.mark.parametrize(
    ("shape", "kwargs", "english"),
    [((100,), {"granularity": "channel"},
      "Per-channel quantization needs a tensor with rows (2-D or more); this one is 1-D, so "
      "it is quantized per tensor."),
     ((4, 8), {"granularity": "channel", "axis": 5},
      "The tensor has no axis 5; using axis 0."),
     ((4, 96), {"granularity": "group", "group_size": 100},
      "Groups of 100 do not divide the last dimension (96); using groups of 32."),
     ((4, 8), {"granularity": "channel", "strategy": "entropy"},
      "Entropy (KL) calibration works per tensor only (as in TensorRT), so per-channel "
      "quantization uses min-max here."),
     ((4, 8), {"bits": 1, "symmetric": True, "narrow_range": True},
      "A narrow range needs at least 2 bits (at 1 bit only code 0 would be left).")],
)  # fmt: skip
def test_what_fitting_changed_is_said_in_english_and_chinese(shape, kwargs, english):
    """The page says what fitting changed in its own words (quantviz_app/fitting.FIT_NOTES),
    from the library's reason and values."""
    fitted, (change,) = fit_settings(shape, **kwargs)
    granularity = fitted.get("granularity", "tensor")
    assert note(change, shape, granularity) == english
    said = note(change, shape, granularity, Tr("zh"))
    assert said.endswith("。") and english_words([said]) == []


def test_a_bad_link_is_explained_in_chinese():
    at = open_zh(bits="abc", preset="nope")
    assert [unescape(w.value) for w in at.warning] == [
        "链接中的这一项未被采用：bits 必须是1 到 16 之间的整数；链接里写的是“abc”。",
        "链接中的这一项未被采用：preset 必须是以下之一：eight_bits, one_outlier, "
        "clip_heavy_tails, per_channel, two_bits, symmetric_positive, fp8_per_tensor, "
        "ocp_mxfp4, qlora_nf4, llama_q4_0；链接里写的是“nope”。",
    ]


def test_mistyped_values_are_explained_in_chinese():
    at = open_zh(lesson="worked-example", values="1, two, 3")
    assert [e.value for e in at.error] == ["“two”不是一个数。"]
