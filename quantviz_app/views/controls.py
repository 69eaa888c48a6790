"""The sidebar: the quantization first (the bit width at the top), then the data.

Every control is drawn from its setting's declaration (:func:`quantviz_app.widgets.control`);
this module only orders them, offers the options that fit the tensor and hides
what a teacher's link hides.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import streamlit as st

import quantviz as qv
from quantviz.io import MAX_FILE_MB, SUPPORTED_EXTENSIONS, LoadedWeights
from quantviz_app import course, text
from quantviz_app.data import Data, model_weights, shipped_weights
from quantviz_app.fitting import Fitted
from quantviz_app.format import md_escape
from quantviz_app.i18n import Tr
from quantviz_app.lessonfile import course as course_places
from quantviz_app.lessonfile import lessons_in
from quantviz_app.schema import BY_KEY, Settings
from quantviz_app.sources import tensor_choices, uploaded
from quantviz_app.widgets import control

_STRATEGIES = {s.name: s for s in qv.strategies()}
LESSON_BUTTONS = "lesson_button"  # widget key of the lesson picker


def open_lesson(state: MutableMapping[str, Any]) -> None:
    """Lesson picker callback: open the chosen lesson at its first step."""
    key = state.get(LESSON_BUTTONS)
    if key:
        course.go(state, key, 1)
    state[LESSON_BUTTONS] = None


def lesson_buttons(state: MutableMapping[str, Any], t: Tr) -> None:
    """The lesson path: picking a lesson opens its first step (the picker then empties); each
    lesson shows its place in the course and about how long it takes. Below it, the way to
    the course's page (every lesson, with what it needs)."""
    titles = {lesson.id: lesson.title for lesson in lessons_in(t.lang)}
    minutes = {p.id: p.minutes for p in course_places()}
    lessons = [k for k in BY_KEY["lesson"].options if k != "none"]

    def label(k: str) -> str:
        title = f"{lessons.index(k) + 1}. {titles[k]}"
        if k not in minutes:
            return title
        return t("text.controls.lesson_minutes", "{title} · {minutes} min",
                 title=title, minutes=minutes[k])  # fmt: skip

    st.selectbox(
        t("text.controls.lessons", "Lessons"), lessons,
        format_func=label,
        index=None, placeholder=t("text.controls.open_lesson", "Open a lesson…"),
        key=LESSON_BUTTONS, on_change=open_lesson, args=(state,),
        help=t("text.controls.lessons_help",
               "A lesson walks through one idea with numbers you can change."),
    )  # fmt: skip
    st.button(
        t("text.controls.course", "The course: every lesson in order"),
        key="course_button",
        on_click=course.show_course,
        args=(state, True),
        icon=":material/list:",
        type="tertiary",
    )


def hidden(s: Settings) -> set[str]:
    """The setting keys (and ``"presets"``) a link's ``hide=`` hides, groups expanded."""
    names = set(s["hide"])
    keys = {x.key for x in BY_KEY.values() if x.key in names or x.group in names}
    return keys | ({"presets"} & names)


def quantization_controls(s: Settings, fitted: Fitted, shape: tuple[int, ...], hide: set[str]):
    """Bit width, scheme, range strategy and its knob, granularity, rounding."""

    t = Tr(s["lang"])

    def show(key: str, **kwargs: Any) -> None:
        if key not in hide and s.applies(key):
            control(key, t=t, **kwargs)

    show("bits")
    show("scheme")
    show("strategy", options=fitted.options["strategy"])
    for p in _STRATEGIES[s["strategy"]].params:
        show(p.name)
    show("manual_range", bounds=fitted.bounds)
    if "strategy" not in hide and s.applies("strategy"):
        spec = _STRATEGIES[s["strategy"]]
        st.caption(f"{t.strategy(spec.name, 'description', spec.description)} *({spec.reference})*")
    if len(shape) >= 2:
        show("granularity", options=fitted.options["granularity"])
        show("axis", options=fitted.options["axis"],
             format_func=lambda a: t("text.controls.axis", "axis {axis} ({n} channels)",
                                     axis=a, n=f"{shape[a]:,}"))  # fmt: skip
        show("group_size", options=fitted.options["group_size"])
    elif "granularity" not in hide and s.applies("granularity"):
        st.caption(
            t(
                "text.controls.no_rows",
                "Per tensor: this tensor has no rows. Per channel and per group need a matrix: "
                "choose the *Linear layer* distribution or a real tensor.",
            )
        )
    show("rounding")


def data_controls(s: Settings, data: Data, state: MutableMapping[str, Any], hide: set[str]):
    """Source, distribution and its parameters, sample size and seed; tensor; upload."""

    t = Tr(s["lang"])

    def show(key: str, **kwargs: Any) -> Any:
        if key not in hide and s.applies(key):
            return control(key, t=t, **kwargs)
        return None

    held = uploaded(state)
    sources = ("synthetic", "sample", "model", "file") if held else ("synthetic", "sample", "model")
    show("source", options=sources)
    if s["source"] == "synthetic":
        show("dist")
        if "dist" not in hide:
            d = qv.get_distribution(s["dist"])
            st.caption(t(f"dist.{d.name}.description", d.description))
        for p in qv.get_distribution(s["dist"]).params:
            show(f"{s['dist']}.{p.name}")  # its label: the catalogue's (std → 标准差 σ)
        show("n")
        show("seed")
    elif s["source"] == "sample":
        st.caption(
            t(
                "text.controls.sample",
                "Six tensors of sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), float32 as "
                "trained; see assets/README.md.",
            )
        )
        show("tensor", **tensor_options(s, state, t))
    elif s["source"] == "model":
        st.caption(
            t(
                "text.controls.model",
                "The digits CNN trained here on the UCI handwritten digits (CC BY 4.0); the "
                "Accuracy room shows what quantizing it does to its predictions. See "
                "assets/models/README.md.",
            )
        )
        show("model_tensor", **tensor_options(s, state, t))
    elif held is not None:
        weights = held[1]
        st.caption(
            t(
                "text.controls.file", "{file} ({format}, {tensors} tensors)",
                file=md_escape(weights.filename), format=weights.format,
                tensors=len(weights.infos),
            )
        )  # fmt: skip
        show("file_tensor", **tensor_options(s, state, t))
        others = [i for i in weights.infos if not (i.loaded and i.quantizable)]
        if others:
            listed = "; ".join(
                f"{md_escape(i.name)} ({i.dtype if i.loaded else md_escape(i.note)})"
                for i in others
            )
            st.caption(
                t("text.controls.not_listed", "Not listed (not weights, or not read): {tensors}",
                  tensors=listed)
            )  # fmt: skip
    if "source" not in hide:
        st.file_uploader(
            t("text.controls.upload", "Your weights (up to {mb} MB)", mb=MAX_FILE_MB),
            type=list(SUPPORTED_EXTENSIONS), key="upload", max_upload_size=MAX_FILE_MB,
            help=t("text.controls.upload_help",
                   "safetensors, PyTorch (.pt/.pth/.bin, tensors only), ONNX, GGUF, NumPy "
                   "(.npy/.npz), CSV/TXT. Read in memory and checked; never run, never saved."),
        )  # fmt: skip


TENSOR_KEYS = {"sample": "tensor", "model": "model_tensor", "file": "file_tensor"}
"""The tensor picker's setting for each source that is a file."""


def source_weights(s: Settings, state: MutableMapping[str, Any]) -> LoadedWeights | None:
    """The file the source shows a tensor of (the shipped sample, the digits CNN, an upload),
    or None for a synthetic tensor."""
    if s["source"] == "sample":
        return shipped_weights()
    if s["source"] == "model":
        return model_weights()
    held = uploaded(state)
    return held[1] if s["source"] == "file" and held is not None else None


def tensor_options(s: Settings, state: MutableMapping[str, Any], t: Tr) -> dict[str, Any]:
    """The tensor picker's options (the file's tensors that can be quantized) and how each
    reads (``name · shape``); empty for a synthetic tensor."""
    weights = source_weights(s, state)
    if weights is None:
        return {}

    def label(name: str) -> str:
        x = weights.tensors[name]
        shape = " × ".join(map(str, x.shape)) or t("text.controls.scalar", "scalar")
        return f"{name} · {shape}"

    return {"options": tensor_choices(weights), "format_func": label}


def tensor_picker(s: Settings, state: MutableMapping[str, Any], hide: set[str], t: Tr) -> bool:
    """The tensor of the file, on the page above the picture, the width of the page: a
    file's names (``encoder.layer.0.intermediate.dense.weight · 1536 × 384``) do not fit
    the sidebar. Returns whether it was drawn."""
    key = TENSOR_KEYS.get(s["source"])
    options = tensor_options(s, state, t)
    if key is None or not options or key in hide:
        return False
    control(key, t=t, label_visibility="collapsed", **options)
    return True


def sidebar(
    s: Settings,
    fitted: Fitted,
    data: Data,
    state: MutableMapping[str, Any],
    *,
    on_page: set[str] = frozenset(),
) -> None:
    """The whole sidebar (``on_page``: controls the page draws itself, left out here)."""
    hide = hidden(s) | set(on_page)
    t = Tr(s["lang"])
    with st.sidebar:
        st.markdown(f"### quantviz\n{t('text.title', text.TITLE)}")
        if "lang" not in hide:
            control("lang", t=t)
        if "presets" not in hide:  # also while a lesson is open: the way to another one
            lesson_buttons(state, t)
        quantization_controls(s, fitted, data.shape, hide)
        st.divider()
        data_controls(s, data, state, hide)
