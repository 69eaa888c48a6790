"""English and 简体中文: the page's words in the reader's language.

English is written where each string is declared: a setting's label and help in
``schema.py``, a preset's sentence in ``presets.py``, the names of the library's
strategies, distributions and formats in ``names.py`` (their one-line descriptions are the
library's), a sentence in ``text.py`` or a view. The Chinese catalogue,
``locale/zh.toml``, gives each of them under a stable key:

* ``setting.<key>.label``, ``setting.<key>.help``, ``setting.<key>.option.<value>``
* ``strategy.<name>.description``
* ``dist.<name>.description``, ``dist.<name>.lesson``
* ``preset.<key>.title``, ``preset.<key>.lesson``
* ``text.<name>``: a sentence of the page, with the same ``{fields}`` as its English
* ``error.<kind>``: a :class:`quantviz.InputError` of that ``kind``, with its ``fields``
  (the library writes the English sentence; :meth:`Tr.error` says it in the page's language)

:class:`Tr` translates: ``t("text.levels_of", "{used} of {available}", used=4,
available=4)`` is the English template in English and the catalogue's in Chinese. A
key the Chinese catalogue lacks raises ``KeyError``; ``tests/page/test_i18n.py`` checks
that none does for what the page shows in Chinese.

Lessons have one file per language (``lessons/<id>.toml``, ``lessons/zh/<id>.toml``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from quantviz_app.format import count

LANGUAGES = {"en": "English", "zh": "简体中文"}
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = str(value)
    return out


@cache
def catalogue(lang: str) -> Mapping[str, str]:
    """The catalogue of ``lang`` as dotted key → template (English: empty, the code has it)."""
    if lang == "en":
        return {}
    return _flatten(tomllib.loads((LOCALE_DIR / f"{lang}.toml").read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Message:
    """A sentence to be said later, in whatever language the page is in: its key, its
    English template and its fields (a field may be a message itself). ``str()`` is the
    English."""

    key: str
    english: str
    fields: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return EN.say(self)


@dataclass(frozen=True)
class Tr:
    """A translator into one language (``"en"`` or ``"zh"``)."""

    lang: str = "en"

    def __call__(self, key: str, english: str, /, **fields: object) -> str:
        """The string ``key`` (written ``english`` in English), with ``fields`` filled in."""
        template = english if self.lang == "en" else catalogue(self.lang)[key]
        return template.format(**fields) if fields else template

    def paragraph(self, *sentences: str) -> str:
        """Sentences run together: a space between them in English, none in Chinese (whose
        full stop closes a sentence without one)."""
        return ("" if self.lang == "zh" else " ").join(sentences)

    def say(self, message: Message | str) -> str:
        """A :class:`Message` in this language (a plain string as it is)."""
        if not isinstance(message, Message):
            return str(message)
        fields = {k: self.say(v) if isinstance(v, Message) else v
                  for k, v in message.fields.items()}  # fmt: skip
        return self(message.key, message.english, **fields)

    def setting(self, key: str, part: str, english: str) -> str:
        """A setting's ``"label"`` or ``"help"``."""
        return self(f"setting.{key}.{part}", english)

    def option(self, key: str, value: object, english: str) -> str:
        """How a setting's option is shown."""
        return self(f"setting.{key}.option.{value}", english)

    def strategy(self, name: str, part: str, english: str) -> str:
        """A range strategy's ``"description"``."""
        return self(f"strategy.{name}.{part}", english)

    def count(self, n: int, noun: str, plural: str | None = None) -> str:
        """``75 values`` in English; in Chinese the number and the catalogue's
        ``noun.<noun>`` (Chinese nouns have no plural: ``75 个值``)."""
        if self.lang == "en":
            return count(n, noun, plural)
        return f"{n:,} {catalogue(self.lang)[f'noun.{noun}']}"

    def error(self, exc: BaseException, escape: Callable[[str], str] = str) -> str:
        """A library error in this language: an :class:`quantviz.InputError`'s ``kind`` from
        the catalogue (``error.<kind>``) with its ``fields``, each text field through
        ``escape`` (Markdown: :func:`quantviz_app.format.md_escape`); English, an error
        without a kind, or a kind the catalogue lacks: the library's own sentence,
        ``escape``d whole."""
        kind = getattr(exc, "kind", "")
        template = catalogue(self.lang).get(f"error.{kind}") if kind else None
        if template is None:
            return escape(str(exc))
        fields = {k: escape(v) if isinstance(v, str) else v for k, v in exc.fields.items()}
        return template.format(**fields)

    def preset(self, key: str, part: str, english: str) -> str:
        """A preset's ``"title"`` or ``"lesson"``."""
        return self(f"preset.{key}.{part}", english)


EN = Tr("en")
"""The English translator (the default everywhere)."""
