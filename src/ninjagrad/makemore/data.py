"""Word lists in, (context, next character) examples out.

The vocabulary is built from the data: '.' (index 0) marks both the start and the end of
a word, followed by every other character of the file in sorted order, so any alphabet
works. Words are shuffled with a fixed seed and split 80/10/10 into train/val/test, exactly
as in the lecture (``random.seed(42); random.shuffle(words)``), so the built-in pipeline
sees the lecture's split of names.txt.
"""

import hashlib
import os
import random
from dataclasses import dataclass
from importlib import resources

import numpy as np

from ninjagrad.errors import DataError
from ninjagrad.files import read_bytes

BOUNDARY = "."
MAX_WORD_LENGTH = 100  # longer lines are almost certainly not a word list
MIN_WORDS = 10  # the smallest list whose 80/10/10 split leaves no part empty
SPLIT_SEED = 42
# A word list is small (the lecture's is 228 kB); reading stops past this size, so that
# `-i /dev/zero` or a disk image is refused at once instead of filling the memory.
MAX_INPUT_BYTES = 64 << 20


def builtin_names_path():
    """Path of the names list shipped inside the package (see scripts/make_names.py)."""
    return str(resources.files("ninjagrad.makemore").joinpath("names.txt"))


def read_words(path):
    """Read a newline-separated word list, one word per line; return (words, sha256 of the
    file's bytes as hex), the hash telling a resumed run whether its data changed.

    Surrounding whitespace and blank lines are ignored. Raises ``DataError`` naming the
    file (and the line) for a missing, empty, binary or non-UTF-8 file, a line that is too
    long, contains '.' (reserved for the word boundary) or a control character, a file
    with fewer than ``MIN_WORDS`` words, or one larger than ``MAX_INPUT_BYTES``.
    """
    raw = read_bytes(path, "a word list", DataError, MAX_INPUT_BYTES + 1)
    if len(raw) > MAX_INPUT_BYTES:
        raise DataError(f"{path}: larger than {MAX_INPUT_BYTES >> 20} MiB; a word list is "
                        "one word per line, and this is too big to be one")
    if not raw.strip():
        raise DataError(f"{path}: the file is empty")
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise DataError(f"{path}, line {line}: NUL byte; this looks like a binary file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(f"{path}, line {line}: not valid UTF-8 text") from None

    words = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        word = line.strip()
        if not word:
            continue
        if len(word) > MAX_WORD_LENGTH:
            raise DataError(
                f"{path}, line {lineno}: {len(word):,} characters long; a word may have at "
                f"most {MAX_WORD_LENGTH} (is this a newline-separated word list?)"
            )
        if BOUNDARY in word:
            raise DataError(
                f"{path}, line {lineno}: {word!r} contains '{BOUNDARY}', which is reserved "
                "for the start/end of a word"
            )
        bad = next((ch for ch in word if not ch.isprintable()), None)
        if bad is not None:
            raise DataError(f"{path}, line {lineno}: control character {bad!r} in {word!r}")
        words.append(word)
    if len(words) < MIN_WORDS:
        raise DataError(
            f"{path}: only {len(words)} usable word(s); need at least {MIN_WORDS} "
            "for an 80/10/10 train/val/test split"
        )
    return words, hashlib.sha256(raw).hexdigest()


class Vocabulary:
    """Characters <-> integers; index 0 is the word boundary '.'."""

    def __init__(self, chars):
        chars = list(chars)
        if not chars or chars[0] != BOUNDARY or len(set(chars)) != len(chars):
            raise DataError(f"a vocabulary is '{BOUNDARY}' then distinct characters: {chars!r}")
        self.itos = chars
        self.stoi = {ch: i for i, ch in enumerate(chars)}

    @classmethod
    def from_words(cls, words):
        return cls([BOUNDARY] + sorted(set("".join(words))))

    @property
    def size(self):
        return len(self.itos)

    def encode(self, word):
        return [self.stoi[ch] for ch in word]

    def decode(self, ixs):
        return "".join(self.itos[i] for i in ixs)

    def __eq__(self, other):
        return isinstance(other, Vocabulary) and self.itos == other.itos

    def __len__(self):
        return len(self.itos)

    def __repr__(self):
        return f"Vocabulary({''.join(self.itos)!r})"


def build_examples(words, vocab, block_size):
    """Every (context, next character) pair of every word, as int64 arrays X, Y.

    A word w gives len(w) + 1 examples: contexts start as block_size boundary tokens and
    slide over the word; the last target is the boundary.
    """
    # One stream of all words, each preceded by block_size zeros and followed by one zero;
    # example j of a word is stream[start + j : start + j + block_size] -> stream[... + block_size].
    pieces, starts, offset = [], [], 0
    for w in words:
        seq = [0] * block_size + vocab.encode(w) + [0]
        pieces.append(seq)
        starts.append(np.arange(offset, offset + len(w) + 1))
        offset += len(seq)
    if not pieces:
        return np.zeros((0, block_size), np.int64), np.zeros(0, np.int64)
    stream = np.fromiter((i for seq in pieces for i in seq), dtype=np.int64, count=offset)
    start = np.concatenate(starts)
    X = stream[start[:, None] + np.arange(block_size)]
    Y = stream[start + block_size]
    return X, Y


@dataclass
class Dataset:
    """A word list split 80/10/10 and turned into examples for one block size."""

    source: str
    vocab: Vocabulary
    block_size: int
    Xtr: np.ndarray
    Ytr: np.ndarray
    Xdev: np.ndarray
    Ydev: np.ndarray
    Xte: np.ndarray
    Yte: np.ndarray
    n_words: int
    sha256: str = ""  # of the file's bytes

    def split(self, name):
        """(X, Y) of 'train', 'val' or 'test'."""
        return {
            "train": (self.Xtr, self.Ytr),
            "val": (self.Xdev, self.Ydev),
            "test": (self.Xte, self.Yte),
        }[name]

    def __repr__(self):
        return (
            f"Dataset({os.path.basename(self.source)!r}, words={self.n_words}, "
            f"vocab={self.vocab.size}, block_size={self.block_size}, "
            f"train={len(self.Ytr)}, val={len(self.Ydev)}, test={len(self.Yte)})"
        )


def load_dataset(path=None, block_size=3, split_seed=SPLIT_SEED, before_building=None):
    """Read ``path`` (default: the built-in names), build the vocabulary and the splits.

    ``before_building(vocab_size, n_examples)``, when given, is called before the example
    arrays are allocated (n_examples * block_size integers), so that it can refuse sizes
    that would not fit in memory.
    """
    if block_size < 1:
        raise DataError(f"block_size must be at least 1, got {block_size}")
    source = builtin_names_path() if path is None else os.fspath(path)
    words, sha256 = read_words(source)
    vocab = Vocabulary.from_words(words)
    if before_building is not None:
        before_building(vocab.size, sum(len(w) + 1 for w in words))
    random.Random(split_seed).shuffle(words)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    Xtr, Ytr = build_examples(words[:n1], vocab, block_size)
    Xdev, Ydev = build_examples(words[n1:n2], vocab, block_size)
    Xte, Yte = build_examples(words[n2:], vocab, block_size)
    return Dataset(source, vocab, block_size, Xtr, Ytr, Xdev, Ydev, Xte, Yte, len(words),
                   sha256)
