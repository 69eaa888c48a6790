"""The worked example lesson (``?lesson=worked-example``), driven as a class would.

Every expected number is worked by hand. The lesson opens at 3 bits on the article's values
[1.2, 2.3, 3.4, 4.5, 5.6] and 2.0, the tie: asymmetric min-max, ℓ widened to 0,
s = 5.6 / 7 = 0.8, z = 0; 2.0 / 0.8 = 2.5 rounds half to even to 2 (half up would give 3);
q = [2, 2, 3, 4, 6, 7], x̂ = [1.6, 1.6, 2.4, 3.2, 4.8, 5.6].
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def show_all(at: AppTest) -> AppTest:
    """Press "Show me": the walk-through and the table without a prediction."""
    next(b for b in at.button if b.key.startswith("show_worked_guess_")).click()
    return rerun(at)


def predict(at: AppTest, given: str) -> AppTest:
    """Type a prediction of the followed value's code and check it."""
    next(w for w in at.text_input if w.key.startswith("worked_guess_")).set_value(given)
    next(b for b in at.button if b.key.startswith("check_worked_guess_")).click()
    return rerun(at)


def table(at: AppTest) -> dict[str, list[str]]:
    df = at.dataframe[0].value
    return {column: df[column].tolist() for column in df.columns}


def test_the_lesson_opens_at_3_bits_on_the_article_values_and_a_tie(open_app):
    at = show_all(open_app(lesson="worked-example"))  # the lesson's own settings: 3 bits
    assert at.slider(key="bits").value == 3
    assert at.text_input(key="values").value == "1.2, 2.0, 2.3, 3.4, 4.5, 5.6"
    t = table(at)
    assert t["x / s"] == ["1.5", "2.5", "2.875", "4.25", "5.625", "7"]
    assert t["round(x / s)"] == ["2", "2", "3", "4", "6", "7"]
    assert t["clamp → q"] == ["2", "2", "3", "4", "6", "7"]
    assert t["x̂ = (q − z)·s"] == ["1.6", "1.6", "2.4", "3.2", "4.8", "5.6"]
    assert t["error x̂ − x"] == ["+0.4", "−0.4", "+0.1", "−0.2", "+0.3", "0"]
    texts = [m.value for m in at.markdown]
    assert (  # the convention said as one, and the step the mistakes table holds it to
        "The values run from 1.2 to 5.6. Like PyTorch's observers, the grid widens its range "
        "to contain 0, so that 0.0 is a level exactly (zero padding and the zeros after a "
        "ReLU stay exact): ℓ is widened to 0, and the grid spans [0, 5.6] with codes 0 … 7. "
        "A convention, not a necessity: a grid on [1.2, 5.6] alone has the finer step "
        "(5.6 − 1.2) / 7 = 0.628571, the one the mistakes table below holds the article to."
    ) in texts
    assert (  # the walk-through follows the tie: half to even
        "**Value 2: x = 2.** x / s = 2 / 0.8 = 2.5 → round (half to even) = 2 → + z = "
        "2 + 0 = 2 → inside [0, 7], so **q = 2** → x̂ = (2 − 0) × 0.8 = **1.6**. "
        "Error x̂ − x = −0.4: at most half a step, s/2 = 0.4."
    ) in texts
    assert r"= \frac{5.6}{7} = 0.8" in at.latex[0].value
    assert not at.metric  # the page's cards are not part of the lesson
    assert at.query_params["lesson"] == "worked-example"


def test_the_error_column_reads_as_decimals_in_both_languages(open_app):
    # 4 bits: s = 5.6 / 15 = 0.373333, q = 3, 5, 6, 9, 12, 15, x̂ = 1.12, 1.86667, 2.24,
    # 3.36, 4.48, 5.6; float32 makes 2.24 − 2.3 = −0.05999994, which the student reads as −0.06.
    for lang, column in (("en", "error x̂ − x"), ("zh", "误差 x̂ − x")):
        at = show_all(open_app(lesson="worked-example", bits="4", follow="1", lang=lang))
        assert table(at)[column] == ["−0.08", "−0.13333", "−0.06", "−0.04", "−0.02", "0"]
        follow = next(m.value for m in at.markdown if "x̂ − x = " in m.value)
        assert "x̂ − x = −0.08" in follow  # value 1, the one walked through


def test_following_another_value_and_the_symmetric_clamp(open_app):
    at = show_all(open_app(lesson="worked-example", bits="3", scheme="symmetric", follow="6"))
    assert table(at)["clamp → q"] == ["1", "1", "1", "2", "3", "4 → 3 (clamped)"]
    assert (
        "**Value 6: x = 5.6.** x / s = 5.6 / 1.6 = 3.5 → round (half to even) = 4 → + z = "
        "4 + 0 = 4 → 4 lies outside [−4, 3]: the clamp makes it **q = 3** → x̂ = (3 − 0) × "
        "1.6 = **4.8**. Error x̂ − x = −0.8: the clamp moved it to the grid's last level: "
        "clipping error, not rounding."
    ) in [m.value for m in at.markdown]
    assert at.query_params["follow"] == "6"
    assert (  # s = 5.6 / 3.5, levels −6.4 … 4.8: +5.6 is clamped; narrow range: s = 5.6 / 3
        "The values run from 1.2 to 5.6. A symmetric grid is centred on 0, with codes −4 … 3 "
        "and step s = max|x| / ((qmax − qmin)/2) = 5.6 / 3.5 = 1.6: its levels run from −6.4 "
        "to 4.8, one more below 0 than above, so +5.6 lies beyond the top level and is clamped "
        "to 4.8. Narrow range drops code −4: s = 5.6 / 3 and ±max|x| become levels."
    ) in [m.value for m in at.markdown]


def test_typed_values_and_bits_change_every_column(open_app):
    at = open_app(lesson="worked-example", bits="3")
    at.text_input(key="values").set_value("-1, 0.5, 2")
    at.slider(key="bits").set_value(2)
    show_all(rerun(at))  # new values: a new question
    # ℓ = −1, h = 2, s = 3 / 3 = 1, z = 0 − round(−1 / 1) = 1; 0.5 / 1 = 0.5 rounds to 0.
    t = table(at)
    assert t["x / s"] == ["−1", "0.5", "2"]
    assert t["+ z"] == ["0", "1", "3"]
    assert t["x̂ = (q − z)·s"] == ["−1", "0", "2"]
    assert at.query_params["values"] == "-1, 0.5, 2"


def test_values_that_are_not_numbers_get_a_sentence(open_app):
    at = open_app(lesson="worked-example")
    at.text_input(key="values").set_value("1, two, 3")
    rerun(at)
    assert [e.value for e in at.error] == ["'two' is not a number."]
    assert not at.dataframe


def test_the_lesson_button_opens_it_and_back_returns_to_the_page(open_app):
    at = open_app(n="1000")
    at.selectbox(key="lesson_button").set_value("worked-example")
    show_all(rerun(at))
    assert at.dataframe and at.query_params["lesson"] == "worked-example"
    at.button(key="worked_back").click()
    rerun(at)
    assert at.metric and not at.dataframe
    assert "lesson" not in at.query_params


def test_the_article_s_mistakes_on_the_values_at_3_bits(open_app):
    # Range 5.6 − 1.2 = 4.4: 4.4 / 3 = 1.46667 against 4.4 / 7 = 0.628571 (7/3 = 2.33333×);
    # 4.4 / 8 = 0.55 puts 5.6 at code round(10.18) = 10, and 8 = round(8.18) too, past 7;
    # 2.0 / 0.55 = 3.64 → 4; (x − 1.2) / 2.2 = 0 … 2; round(x_q / 0.55) · 0.55 + 1.2:
    # 2.0 → 2.2 + 1.2 = 3.4, 1.4 from x.
    at = show_all(open_app(lesson="worked-example", bits="3"))
    assert "### Common mistakes, on these numbers" in [m.value for m in at.markdown]
    df = at.table[0].value
    rows = {r["mistake"]: r for r in df.to_dict("records")}
    step = rows["step = range / b"]
    assert step["what the article computes"] == "4.4 / 3 = 1.46667"
    assert step["what it should be"] == "range / (2^b − 1) = 4.4 / 7 = 0.628571"
    assert step["how far off"] == "2.33333× too coarse"
    assert rows["step = range / 2^b"]["how far off"] == (
        "one step (0.55) short of max 5.6: it needs code 8, past 7"
    )
    assert (
        rows["round the value to a whole number (12.5 → 13)"]["what the article computes"]
        == "1, 2, 2, 3, 5, 6"
    )
    codes = rows["x_q = round(x / step) · step: no zero point, no clamp"]
    assert codes["what the article computes"] == "codes 2, 4, 4, 6, 8, 10 (step 4.4 / 8 = 0.55)"
    assert codes["how far off"] == "2 of 6 codes outside 0 … 7, as far as 10"
    normalize = rows["normalize: (x − min) / (range / 2)"]
    assert normalize["what the article computes"] == "0, 0.36364, 0.5, 1, 1.5, 2"
    assert normalize["what it should be"] == (
        "2(x − min) / range − 1 = −1, −0.63636, −0.5, 0, 0.5, 1"
    )
    dequantize = rows["dequantize: round(x_q / step) · step + min"]
    assert dequantize["what the article computes"] == "2.3, 3.4, 3.4, 4.5, 5.6, 6.7"
    assert dequantize["how far off"] == "min added again: up to 1.4 from x (x̂: up to 0.4)"
    assert (
        rows["bits = log2(range / step), before step is set"]["what the article computes"]
        == "NameError: name 'step' is not defined"
    )


def test_equal_values_say_why_there_are_no_mistakes_to_show(open_app):
    at = open_app(lesson="worked-example")
    at.text_input(key="values").set_value("2, 2")
    show_all(rerun(at))
    assert len(at.dataframe) == 1 and not at.table  # the steps' table only
    assert [c.value for c in at.caption if "max − min" in c.value] == [
        "The article's formulas divide by its range, max − min, which is 0 when every value "
        "is the same: type at least two different values to see its mistakes."
    ]


def test_predict_the_code_before_the_walk_through(open_app):
    # value 5, x = 4.5, at 3 bits: 4.5 / 0.8 = 5.625 → q = 6. Nothing shows it before.
    at = open_app(lesson="worked-example", bits="3", follow="5")
    assert not at.dataframe and not at.success
    assert any(
        m.value.startswith("**Predict:** which code q does value 5, x = 4.5, land on?")
        for m in at.main.markdown
    )
    at = predict(at, "5")
    assert at.warning[0].value.startswith(
        "**Not quite:** you said 5; the page says **q = 6**. **Value 5: x = 4.5.** x / s = "
        "4.5 / 0.8 = 5.625 → round (half to even) = 6"
    )
    assert at.dataframe  # the answer is in: the table follows
    at.slider(key="follow").set_value(1)
    at = predict(rerun(at), "2")  # another value: a new question
    assert at.success[0].value.startswith("**Right: q = 2.** **Value 1: x = 1.2.**")


def test_the_mistakes_table_speaks_chinese_on_the_chinese_page(open_app):
    # "1,1,1": no range, no mistakes to show; the sentence is the catalogue's, not the library's
    at = open_app(lesson="worked-example", lang="zh")
    at.text_input(key="values").set_value("1, 1, 1")
    show_all(rerun(at))
    assert [c.value for c in at.caption if "max − min" in c.value] == [
        "原文的公式要除以它的范围 max − min；所有数值都相同时，这个范围为 0。"
        "请至少输入两个不同的数值，才能看到它的错误。"
    ]
