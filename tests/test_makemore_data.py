"""Word lists, vocabulary, examples and splits, and the errors for unusable input files."""

import random

import numpy as np
import pytest

from ninjagrad.errors import DataError, NinjagradError
from ninjagrad.makemore.data import (
    MAX_WORD_LENGTH,
    Vocabulary,
    build_examples,
    builtin_names_path,
    load_dataset,
    read_words,
)


def write(tmp_path, content, name="words.txt"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(path)


WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn",
         "abigail", "emily", "ella"]


def test_vocabulary_is_boundary_then_sorted_characters():
    vocab = Vocabulary.from_words(["cab", "bad"])
    assert vocab.itos == [".", "a", "b", "c", "d"]
    assert vocab.encode("dab") == [4, 1, 2]
    assert vocab.decode([3, 1, 2]) == "cab"
    assert "Vocabulary('.abcd')" == repr(vocab)


def test_examples_slide_a_window_over_each_word():
    vocab = Vocabulary.from_words(["ab", "c"])  # . a b c -> 0 1 2 3
    X, Y = build_examples(["ab", "c"], vocab, block_size=2)
    # "ab": .. -> a, .a -> b, ab -> .    "c": .. -> c, .c -> .
    assert X.tolist() == [[0, 0], [0, 1], [1, 2], [0, 0], [0, 3]]
    assert Y.tolist() == [1, 2, 0, 3, 0]


def test_lecture_split_of_names(names_path):
    ds = load_dataset(names_path, block_size=3)
    # The lecture's numbers for names.txt: 182625 / 22655 / 22866 examples.
    assert (len(ds.Ytr), len(ds.Ydev), len(ds.Yte)) == (182625, 22655, 22866)
    assert ds.Xtr.shape == (182625, 3) and ds.vocab.size == 27
    # Independently rebuilt: random.seed(42); random.shuffle(words), first 80% for training.
    words = open(names_path).read().splitlines()
    random.seed(42)
    random.shuffle(words)
    first = words[0]
    expected = [0, 0, 0] + [ds.vocab.stoi[c] for c in first]
    assert ds.Xtr[: len(first) + 1].tolist() == [expected[i : i + 3] for i in range(len(first) + 1)]


def test_other_alphabets_work(tmp_path):
    path = write(tmp_path, "\n".join(["αβγ", "γδ", "δαβ", "βγ"] * 3) + "\n")
    ds = load_dataset(path, block_size=2)
    assert ds.vocab.itos == [".", "α", "β", "γ", "δ"]
    assert len(ds.Ytr) + len(ds.Ydev) + len(ds.Yte) == (4 + 3 + 4 + 3) * 3


def test_blank_lines_crlf_and_bom_are_tolerated(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbf" + b"\r\n".join(w.encode() for w in WORDS) + b"\r\n\r\n")
    assert read_words(path)[0] == WORDS


def test_builtin_names_file():
    words, _ = read_words(builtin_names_path())
    assert len(words) == 30_000 and len(set(words)) == len(words)
    assert all(w.isascii() and w.isalpha() and w.islower() for w in words)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"\n  \n\n", "empty"),
        (b"emma\nol\x00ivia\n" + b"x\n" * 20, "line 2: NUL byte"),
        (b"emma\nolivia\n\xff\xfe\xfa\n", "line 3: not valid UTF-8"),
        (("ava\n" * 5 + "a" * (MAX_WORD_LENGTH + 1) + "\n").encode(), "line 6"),
        (b"emma\nmary.ann\n" + b"bob\n" * 20, "line 2: 'mary.ann' contains '.'"),
        (b"emma\nbo\x1bb\n" + b"bob\n" * 20, "line 2: control character"),
        (b"emma\nava\n", "only 2 usable word(s)"),
    ],
)
def test_bad_files_raise_data_error_naming_file_and_line(tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(DataError) as info:
        read_words(path)
    assert message in str(info.value)
    assert path in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_words(str(tmp_path / "nope.txt"))
    with pytest.raises(DataError, match="directory"):
        read_words(str(tmp_path))
    assert issubclass(DataError, NinjagradError)


def test_split_is_fixed_and_disjoint(tmp_path):
    words = [f"w{'abcdefghij'[i % 10]}{'klmnopqrst'[i // 10]}" for i in range(100)]
    path = write(tmp_path, "\n".join(words))
    a, b = load_dataset(path, block_size=1), load_dataset(path, block_size=1)
    for split in ("train", "val", "test"):
        assert np.array_equal(a.split(split)[0], b.split(split)[0])
    # 80/10/10 words, 4 examples each (3 characters + end)
    assert (len(a.Ytr), len(a.Ydev), len(a.Yte)) == (320, 40, 40)
