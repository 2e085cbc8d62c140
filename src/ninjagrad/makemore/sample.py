"""Generate words from a trained model, all requested words at once."""

import numpy as np

from ninjagrad.makemore import model
from ninjagrad.makemore.data import MAX_WORD_LENGTH


def sample_words(params, bnmean, bnvar, vocab, block_size, n, rng, max_length=MAX_WORD_LENGTH):
    """Draw ``n`` words: start from a context of boundary tokens, sample the next character
    from softmax(logits), shift it into the context, stop at the boundary token.

    ``rng`` is a numpy Generator; a word reaching ``max_length`` characters is cut there.
    """
    context = np.zeros((n, block_size), dtype=np.int64)
    words = [[] for _ in range(n)]
    active = np.arange(n)
    for _ in range(max_length):
        if len(active) == 0:
            break
        logits = model.logits(params, bnmean, bnvar, context[active]).astype(np.float64)
        probs = np.exp(logits - logits.max(1, keepdims=True))
        cdf = probs.cumsum(1)
        u = rng.random(len(active)) * cdf[:, -1]
        ix = np.minimum((cdf <= u[:, None]).sum(1), vocab.size - 1)  # inverse-CDF sampling
        for row, i in zip(active, ix, strict=True):
            if i:
                words[row].append(int(i))
        context[active, :-1] = context[active, 1:]
        context[active, -1] = ix
        active = active[ix != 0]
    return [vocab.decode(w) for w in words]
