"""The pure-Python WordPiece tokenizer: hand-worked cases, then the ``tokenizers`` library
(the model's own tokenizer.json, as sentence-transformers runs it) as the reference."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import quantviz as qv
from quantviz.models.transformer.wordpiece import WordPiece, normalize, split_words

TOY = WordPiece(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "a", "##b"])


def test_longest_pieces_first_with_the_continuation_prefix():
    assert TOY.tokenize("unaffable") == ["un", "##aff", "##able"]
    assert TOY.tokenize("abbb") == ["a", "##b", "##b", "##b"]
    assert TOY.tokenize("unx") == ["[UNK]"]  # no cut of the whole word: the word is unknown
    assert TOY.tokenize("a" * 101) == ["[UNK]"]  # longer than 100 characters
    assert TOY.encode("un [MASK] a") == [2, 5, 4, 8, 3]  # [CLS] un [MASK] a [SEP]


def test_normalization_steps_by_hand():
    # accents stripped, lowercased, NUL / U+FFFD / zero-width space (Cf) removed, tab → space
    assert normalize("Héllo\tWÖRLD\x00\ufffd\u200b!") == "hello world!"
    assert normalize("你好") == " 你  好 "  # every CJK ideograph a word of its own
    assert normalize("ΟΔΟΣ") == "οδοσ"  # one character at a time: Σ is always σ
    assert split_words("don't stop—now…") == ["don", "'", "t", "stop", "—", "now", "…"]


def test_text_must_be_a_string_and_vocab_a_bert_vocab():
    with pytest.raises(qv.InputError, match="string"):
        TOY.tokenize(3)
    with pytest.raises(qv.InputError, match=r"\[UNK\]"):
        WordPiece(["[PAD]", "[CLS]", "[SEP]", "hello"])


# (text, word pieces) checked by hand against the vocabulary, and by the reference below
TRICKY = [
    ("Héllo, wörld!", ["hello", ",", "world", "!"]),
    ("naïve café résumé", ["naive", "cafe", "resume"]),
    ("你好世界 means hello", ["[UNK]", "[UNK]", "世", "[UNK]", "means", "hello"]),
    ("x[MASK]y [CLS]", ["x", "[MASK]", "y", "[CLS]"]),
    ("a\u200bb\tc\x00d\ufffde", ["ab", "cd", "##e"]),
    ("ΟΔΟΣ Σ", ["ο", "##δ", "##ο", "##σ", "σ"]),
    ("İstanbul", ["istanbul"]),
    ("unaffable 12.5% $3", ["una", "##ffa", "##ble", "12", ".", "5", "%", "$", "3"]),
    ("emoji 😀 ok", ["em", "##oj", "##i", "[UNK]", "ok"]),
    ("tab\there\r\nnew", ["tab", "here", "new"]),
    ("", []),
]


@pytest.mark.parametrize(("text", "pieces"), TRICKY)
def test_tricky_texts(minilm, text, pieces):
    assert minilm.tokenizer.tokenize(text) == pieces
    ids = minilm.tokenizer.encode(text)
    assert ids[0] == 101 and ids[-1] == 102  # [CLS] … [SEP]


def test_at_most_256_ids_with_sep_last(minilm):
    ids = minilm.tokenizer.encode("word " * 400)
    assert len(ids) == 256 and ids[0] == 101 and ids[-1] == 102


def test_same_ids_as_tokenizers_on_every_shipped_text(minilm, reference_tokenizer):
    texts = [*minilm.task.texts, *minilm.task.calibration, *(t for t, _ in TRICKY)]
    assert len(texts) >= 400
    for text in texts:
        assert minilm.tokenizer.encode(text) == reference_tokenizer.encode(text).ids, text


# Characters whose Unicode category has not changed since Unicode 9 (the tokenizers library's
# tables are that old: characters assigned later, e.g. U+061D, differ; see wordpiece.py).
ALPHABET = st.one_of(
    st.characters(min_codepoint=0, max_codepoint=0x24F),  # ASCII, controls, Latin
    st.characters(min_codepoint=0x300, max_codepoint=0x36F),  # combining accents (Mn)
    st.characters(min_codepoint=0x391, max_codepoint=0x3C9),  # Greek
    st.characters(min_codepoint=0x410, max_codepoint=0x44F),  # Cyrillic
    st.characters(min_codepoint=0x2000, max_codepoint=0x2042),  # spaces, dashes, quotes
    st.characters(min_codepoint=0x3041, max_codepoint=0x30FF),  # kana
    st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF),  # CJK ideographs
    st.characters(min_codepoint=0xAC00, max_codepoint=0xACFF),  # Hangul
    st.characters(min_codepoint=0xE000, max_codepoint=0xE00F),  # private use (removed)
    st.characters(min_codepoint=0xFDD0, max_codepoint=0xFDEF),  # noncharacters (kept)
    st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),  # fullwidth forms
    st.characters(min_codepoint=0x1F600, max_codepoint=0x1F64F),  # emoji
    st.sampled_from(["[MASK]", "[CLS]", "[unk]", " ", "\ufffd"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_same_ids_as_tokenizers_on_random_text(minilm, reference_tokenizer, text):
    assert minilm.tokenizer.encode(text) == reference_tokenizer.encode(text).ids
