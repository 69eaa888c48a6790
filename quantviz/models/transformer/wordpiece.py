"""BERT's WordPiece tokenizer in pure Python: text → token ids, from the model's vocab.txt.

>>> tok = WordPiece(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", ",", "cafe"])
>>> tok.tokenize("Unaffable, CAFÉ!")
['un', '##aff', '##able', ',', 'cafe', '[UNK]']

The steps are those of the ``tokenizers`` library's ``BertNormalizer`` +
``BertPreTokenizer`` + ``WordPiece`` model, which sentence-transformers uses for
all-MiniLM-L6-v2 (its tokenizer.json: lowercase, strip accents, Chinese characters split,
text cleaned; ``[CLS] … [SEP]``):

1. **special tokens** written in the text (``[CLS]``, ``[SEP]``, ``[PAD]``, ``[UNK]``,
   ``[MASK]``, case-sensitive) are kept whole, as the library's added tokens are;
2. **clean**: NUL, U+FFFD and control characters (Unicode category C*, except tab, newline
   and carriage return) are removed; whitespace becomes a space;
3. **CJK**: every CJK ideograph gets spaces around it (each is a word of its own);
4. **strip accents**: Unicode NFD, then the combining marks (category Mn) are dropped;
5. **lowercase**, one character at a time (so Σ is always σ);
6. **split** on whitespace and around every punctuation character (ASCII symbols
   ``!"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~`` and Unicode categories P*);
7. **WordPiece**: each word is cut greedily into the longest pieces found in the vocabulary,
   pieces after the first written with ``##``; a word with no such cut, or longer than
   100 characters, becomes ``[UNK]``.

:meth:`WordPiece.encode` adds ``[CLS]`` and ``[SEP]`` and keeps at most ``max_length`` ids
(all-MiniLM-L6-v2: 256, from its sentence_bert_config.json), as sentence-transformers does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from quantviz.errors import InputError

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
MAX_CHARS_PER_WORD = 100
PREFIX = "##"

_CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B920, 0x2CEAF),  # the tokenizers library's bound (BERT's Python code: 0x2B820)
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)
_SPECIAL_RE = re.compile("(" + "|".join(re.escape(t) for t in SPECIAL_TOKENS) + ")")


def is_whitespace(ch: str) -> bool:
    """Tab, newline, carriage return, or Unicode White_Space (what ``str.isspace`` says)."""
    return ch in "\t\n\r " or ch.isspace()


def is_control(ch: str) -> bool:
    """A control, format, private-use or surrogate character (Cc, Cf, Co, Cs), except tab,
    newline and carriage return. Unassigned code points (Cn) are kept, as the ``tokenizers``
    library keeps them."""
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs")


def is_punctuation(ch: str) -> bool:
    """An ASCII symbol that is not a letter, digit or space, or Unicode punctuation (P*)."""
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(ch: str) -> bool:
    """A CJK unified or compatibility ideograph (the ranges BERT splits one by one)."""
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


def normalize(text: str) -> str:
    """Steps 2–5: clean, space out CJK ideographs, strip accents, lowercase."""
    out = []
    for ch in text:
        if ch == "\x00" or ch == "\ufffd" or is_control(ch):
            continue
        if is_whitespace(ch):
            out.append(" ")
        elif is_cjk(ch):
            out.append(f" {ch} ")
        else:
            out.append(ch)
    decomposed = unicodedata.normalize("NFD", "".join(out))
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return "".join(ch.lower() for ch in kept)


def split_words(text: str) -> list[str]:
    """Step 6: whitespace-separated words, each punctuation character a word of its own."""
    words: list[str] = []
    for chunk in text.split():
        start = 0
        for i, ch in enumerate(chunk):
            if is_punctuation(ch):
                if i > start:
                    words.append(chunk[start:i])
                words.append(ch)
                start = i + 1
        if start < len(chunk):
            words.append(chunk[start:])
    return words


@dataclass(frozen=True, eq=False)
class WordPiece:
    """A WordPiece vocabulary and the tokenizer around it.

    ``vocab`` lists the tokens in id order (vocab.txt: one per line, the line number is the
    id). ``max_length`` counts ``[CLS]`` and ``[SEP]``.
    """

    vocab: Sequence[str]
    max_length: int = 256
    ids: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ids = {token: i for i, token in enumerate(self.vocab)}
        missing = [t for t in ("[UNK]", "[CLS]", "[SEP]", "[PAD]") if t not in ids]
        if missing:
            raise InputError(f"The vocabulary has no {', '.join(missing)}: not a BERT vocab.txt.")
        if self.max_length < 2:
            raise InputError(
                f"max_length must be at least 2 ([CLS] and [SEP]); got {self.max_length}."
            )
        object.__setattr__(self, "ids", ids)

    @classmethod
    def from_file(cls, path: str | Path, max_length: int = 256) -> WordPiece:
        """Read a vocab.txt (UTF-8, one token per line)."""
        lines = Path(path).read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return cls(tuple(line.rstrip("\r") for line in lines), max_length)

    @property
    def unk_id(self) -> int:
        return self.ids["[UNK]"]

    @property
    def pad_id(self) -> int:
        return self.ids["[PAD]"]

    def word_pieces(self, word: str) -> list[str]:
        """Step 7 for one word: the longest vocabulary pieces, left to right."""
        if len(word) > MAX_CHARS_PER_WORD:
            return ["[UNK]"]
        pieces = []
        start = 0
        while start < len(word):
            end = len(word)
            piece = None
            while start < end:
                candidate = word[start:end] if start == 0 else PREFIX + word[start:end]
                if candidate in self.ids:
                    piece = candidate
                    break
                end -= 1
            if piece is None:
                return ["[UNK]"]
            pieces.append(piece)
            start = end
        return pieces

    def tokenize(self, text: str) -> list[str]:
        """The word pieces of ``text`` (no ``[CLS]``/``[SEP]``, no truncation)."""
        if not isinstance(text, str):
            raise InputError(f"A text must be a string, not {type(text).__name__}.")
        tokens: list[str] = []
        for part in _SPECIAL_RE.split(text):
            if part in SPECIAL_TOKENS and part in self.ids:
                tokens.append(part)
                continue
            for word in split_words(normalize(part)):
                tokens.extend(self.word_pieces(word))
        return tokens

    def encode(self, text: str) -> list[int]:
        """``[CLS] pieces… [SEP]`` as ids, truncated to ``max_length`` (the text's end is cut)."""
        pieces = self.tokenize(text)[: self.max_length - 2]
        unk = self.unk_id
        return [self.ids["[CLS]"], *(self.ids.get(p, unk) for p in pieces), self.ids["[SEP]"]]

    def encode_batch(self, texts: Iterable[str]) -> list[list[int]]:
        """:meth:`encode` for each text."""
        return [self.encode(t) for t in texts]
