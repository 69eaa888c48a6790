"""The course as a teacher follows it (issue 21, item 4): the course's page in order with each
lesson's length and needs, the picker's numbers and minutes, the way from one lesson to the
next, and a lesson as a Markdown handout with the numbers of the data on screen."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from quantviz_app import course, handout
from quantviz_app.lessonfile import lessons_in
from quantviz_app.schema import Settings
from quantviz_app.views.lessonbox import page_data


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_course_page_lists_every_lesson_in_order_with_length_and_needs(open_app):
    at = open_app(course="1")
    titles = [m.value.split("**")[1] for m in at.main.markdown if m.value.startswith("**")]
    assert titles[:3] == [
        "1. What a step is", "2. Zero point; symmetric against asymmetric",
        "3. The worked example, step by step",
    ]  # fmt: skip
    assert titles[12] == "13. Stability: stochastic rounding"
    captions = [c.value for c in at.main.caption]
    # "13 lessons …, about 195 minutes in all" today; a new course line changes the counts
    assert re.fullmatch(r"\d+ lessons in the order a class takes them, about \d+ minutes in all\. "
                        r"Each lesson asks you to predict a number, then checks it on the data "
                        r"on screen\.", captions[0])  # fmt: skip
    assert captions[1] == "about 10 min · 3 steps · needs only the page"
    assert captions[3] == "about 15 min · one page · needs only the page"  # the worked example
    assert captions[11] == (  # network-accuracy
        "about 20 min · 3 steps · needs the digits CNN (shipped), the Accuracy tab"
    )
    assert not at.metric  # the course's page, not the picture


def test_a_lesson_opens_from_the_course_page_and_the_page_closes(open_app):
    at = open_app(course="1")
    at.button(key="course_open_pruning").click()
    rerun(at)
    assert at.query_params["lesson"] == "pruning" and at.query_params["step"] == "1"
    assert "course" not in at.query_params
    assert "#### Pruning and quantization together · step 1 of 3" in [
        m.value for m in at.main.markdown
    ]


def test_the_sidebar_opens_the_course_and_the_picker_shows_minutes(open_app):
    at = open_app(n="1000")
    picker = at.sidebar.selectbox(key="lesson_button")
    assert picker.options[:2] == ["1. What a step is · 10 min", "2. Zero point; symmetric "
                                  "against asymmetric · 15 min"]  # fmt: skip
    at.sidebar.button(key="course_button").click()
    rerun(at)
    assert at.query_params["course"] == "true"
    at.button(key="course_close").click()
    rerun(at)
    assert "course" not in at.query_params and at.metric


def test_the_chinese_course_page(open_app):
    at = open_app(course="1", lang="zh")
    assert at.main.subheader[0].value == "整门课"
    captions = [c.value for c in at.main.caption]
    assert captions[1] == "约 10 分钟 · 3 步 · 只需本页面"
    assert captions[11] == "约 20 分钟 · 3 步 · 需要数字识别 CNN（随软件附带），“准确率”标签页"


def test_the_last_step_leads_to_the_course_s_next_lesson(open_app):
    at = open_app(lesson="choosing-bits", step="2")
    at.button(key="lesson_next_lesson").click()
    rerun(at)
    assert at.query_params["lesson"] == "number-formats" and at.query_params["step"] == "1"


def test_the_handout_has_every_step_with_the_numbers_of_its_data():
    lesson = next(x for x in lessons_in("en") if x.id == "what-a-step-is")
    # the class is on step 3 with the slider moved to 4 bits: that step says 4 bits
    now, data = page_data(Settings().replace(dist="uniform", bits=4, lesson=lesson.id, step=3))
    md = handout.handout(lesson, now, data, page_data, minutes=10)
    assert md.startswith("# What a step is\n\n2^b levels have 2^b − 1 steps between them")
    assert "About 10 minutes." in md
    assert md.count("## Step ") == 3
    assert "**Answer: 0.2857.** s = (h − ℓ) / (2^b − 1) = 2 / 7 = 0.2857" in md  # step 1, 3 bits
    assert "- 0.2857\n- 0.6667" in md  # step 2's choices, as numbers
    assert "**Predict:** At 4 bits, how wide is one step?" in md  # the page on screen
    assert "**Answer: 0.1333.** s = 2 / 15 = 0.1333." in md
    assert "`?dist=uniform&n=100000&seed=0&bits=3&" in md  # each step's link


def test_the_handout_in_chinese_and_of_a_network_lesson():
    lesson = next(x for x in lessons_in("zh") if x.id == "pruning")
    s = course.step_settings(lesson.steps[0], Settings()).replace(
        lesson="pruning", step=1, lang="zh"
    )
    now, data = page_data(s)
    md = handout.handout(lesson, now, data, page_data)
    assert md.startswith("# 剪枝与量化并用")
    assert "## 第 2 步，共 3 步" in md
    assert (
        "**答案：25。** 剪掉比例 p，每个权重省下 p × 4 比特、花掉 1 比特：从 p = 1/4 = 25 %" in md
    )
    assert "**答案：4 比特，不剪枝。**" in md  # 4.26 bits per weight at 98.1 % against 5.252


def test_the_lesson_box_offers_the_handout(open_app):
    at = open_app(lesson="what-a-step-is")
    [button] = [b for b in at.get("download_button") if b.proto.id.endswith("lesson_handout")]
    assert button.proto.label == "Download this lesson as a handout (Markdown)"


def test_the_worked_example_s_handout_has_its_table_and_the_article_s_mistakes():
    import quantviz as qv
    from quantviz_app.views.worked import worked_handout

    w = qv.worked_example([1.2, 2.0, 2.3, 3.4, 4.5, 5.6], 3)
    md = worked_handout(w, Settings().replace(lesson="worked-example", bits=3, follow=2))
    assert md.startswith("# The worked example, step by step\n")
    assert "| 2 | 2 | 2.5 | 2 | 2 | 2 | 1.6 | −0.4 |" in md  # the tie, half to even
    assert "| step = range / b | 4.4 / 3 = 1.46667 | range / (2^b − 1) = 4.4 / 7 = 0.628571 |" in md


def test_the_worked_example_offers_its_handout_once_answered(open_app):
    at = open_app(lesson="worked-example")
    next(b for b in at.button if b.key.startswith("show_worked_guess_")).click()
    rerun(at)
    assert [b for b in at.get("download_button") if b.proto.id.endswith("worked_handout")]
