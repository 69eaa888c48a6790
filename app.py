"""quantviz: watch quantization happen. Run it with ``streamlit run app.py``.

The page reads top to bottom like this file: the link and the session give the
settings, the settings name a tensor, the settings are fitted to that tensor, the
controls are drawn, then the lesson: the bit slider and the views, each a module and a
fragment of its own (``quantviz_app/views/``). Every number comes from the ``quantviz``
library, every sentence from ``quantviz_app/text.py``; every setting is declared once, in
``quantviz_app/schema.py``.
"""

import streamlit as st
from threadpoolctl import threadpool_limits

from quantviz_app import course, fitting, i18n, layout, link, sources, text, widgets
from quantviz_app.views import controls, coursepage, header, lesson, worked

# One BLAS thread: every session's rerun is a thread already, and OpenBLAS's own threads
# spin against them (an 11.7M-value quantize: 0.2 s alone, 9-18 s on a busy 2-core machine).
threadpool_limits(1, user_api="blas")
state = st.session_state

# ---- settings: from the link (first run), then from the controls ------------
query = st.query_params.to_dict()
opened, link_notes = link.open_link(state, query)
if opened is not None:
    widgets.write(state, opened)
# a lesson step sets the page up, once (what a link names itself wins over the step's)
first = course.enter(state, widgets.read(state), link.named(query) if opened else ())
layout.frame(first["view"], i18n.Tr(first["lang"]))
upload_error = sources.take_upload(state)

# ---- the tensor, and the settings fitted to it --------------------------------
data, settings, source_notes = sources.current(widgets.read(state), state)
fitted = fitting.fit(settings, data.shape, data.low, data.high)
settings = fitted.settings
widgets.write(state, settings)
hide = controls.hidden(settings)

# ---- the controls (the lesson draws the bit slider, and in class view the strategy) -------
on_page = (
    {"bits", "strategy"}
    if settings["view"] == "class"
    else {"bits", "format", *controls.TENSOR_KEYS.values()}  # a file's tensor: above the picture
)
if settings["lesson"] == "worked-example":
    on_page = worked.ON_PAGE  # the lesson draws its own controls; the sidebar keeps the scheme
controls.sidebar(settings, fitted, data, state, on_page=on_page)

# ---- the page: what to know, then the lesson (a fragment: a bit move redraws only it) ---
t = i18n.Tr(settings["lang"])
warnings = [text.ignored_from_link(note, t) for note in link_notes]
warnings += [text.echo(note, t) for note in source_notes]
if data.dropped:
    warnings.append(text.dropped_warning(data.dropped, t))
if upload_error:
    st.error(text.upload_error(upload_error, t), icon=":material/error:")
if settings["view"] != "class" and settings["lesson"] == "none" and not settings["course"]:
    header.show(state, warnings, hide_scenes="presets" in hide)
else:
    for warning in warnings:
        st.warning(warning)
if settings["course"]:
    coursepage.show(settings, state)  # every lesson in order: the teacher's path
elif settings["lesson"] == "worked-example":
    worked.show(settings, state)
else:
    # the picture, and beside it a lesson's step (predict first: while its question is open
    # the numbers wait for the answer) or a scene's sentence; the numbers, the rooms
    lesson.show(fitted, data, state, hide)
