"""Library errors on the page, in the page's language: every ``InputError`` kind the library
(or the page) raises has its sentence in the Chinese catalogue, with the fields it is
given; the English stays the library's own sentence."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import numpy as np
import pytest

import quantviz as qv
from quantviz_app import text
from quantviz_app.i18n import EN, Tr, catalogue
from tests.conftest import unescape

ROOT = Path(__file__).resolve().parents[2]
ZH = catalogue("zh")


def _is_input_error(func: ast.expr) -> bool:
    return getattr(func, "id", "") == "InputError" or getattr(func, "attr", "") == "InputError"


def raised_kinds() -> dict[str, set[str]]:
    """Every ``kind=`` an ``InputError(...)`` names in quantviz/ and quantviz_app/, with the
    names of its ``fields``."""
    found: dict[str, set[str]] = {}
    for package in ("quantviz", "quantviz_app"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if not (isinstance(node, ast.Call) and _is_input_error(node.func)):
                    continue
                words = {k.arg: k.value for k in node.keywords}
                if "kind" not in words:
                    continue
                names = set()
                if isinstance(words.get("fields"), ast.Dict):
                    names = {k.value for k in words["fields"].keys}
                found.setdefault(words["kind"].value, set()).update(names)
    return found


KINDS = raised_kinds()


def test_the_library_and_the_page_name_their_kinds():
    assert {"nonfinite", "bits", "range_too_wide", "worked_values", "article_no_range",
            "format_blocks", "file_extension", "upload_gone"} <= set(KINDS)  # fmt: skip


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_is_in_the_chinese_catalogue_with_its_fields(kind):
    template = ZH.get(f"error.{kind}")
    assert template is not None, f"zh.toml lacks error.{kind}"
    used = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    assert used <= KINDS[kind], f"error.{kind} uses {used - KINDS[kind]}"


def test_no_catalogue_sentence_for_a_kind_nobody_raises():
    assert sorted(k.removeprefix("error.") for k in ZH if k.startswith("error.")) == sorted(KINDS)


def test_a_library_error_in_chinese_and_in_english():
    with pytest.raises(qv.InputError) as err:
        qv.quantize(np.array([-3e38, 3e38], np.float32), 1)
    assert unescape(text.error(err.value, EN)) == (
        "The range [-3e+38, 3e+38] is too wide for a 1-bit grid: its end levels would lie "
        "beyond float32's largest number (3.4e+38); use more bits or scale the values down."
    )
    assert unescape(text.error(err.value, Tr("zh"))) == (
        "范围 [-3e+38, 3e+38] 对 1 比特的网格来说太宽：两端的量化级会超出 float32 能表示的"
        "最大数（3.4e+38）。请增加比特数，或把数值缩小。"
    )


def test_a_name_in_an_error_is_escaped_in_both_languages():
    with pytest.raises(qv.InputError) as err:
        qv.load_weights(b"abc", "**bold**.exe")
    said = text.error(err.value, Tr("zh"))
    assert said.startswith(r"\*\*bold\*\*\.exe：不支持 .exe 文件；quantviz 能读取 \.safetensors")
    assert unescape(said).startswith("**bold**.exe：不支持 .exe 文件；quantviz 能读取 .safetensors")
    assert text.error(err.value, EN).startswith(r"\*\*bold\*\*\.exe\: \.exe files are not")


def test_an_error_without_a_kind_is_said_as_the_library_says_it():
    assert Tr("zh").error(qv.InputError("Something new.")) == "Something new."
