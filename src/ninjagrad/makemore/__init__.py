"""makemore, part 4: the names MLP trained with hand-written backward passes.

``data`` (word lists, vocabulary, splits), ``model`` (parameters, init, inference),
``manual`` (the hand-written backward passes), ``train`` (the training loop),
``checkpoint`` (the .npz checkpoint), ``workdir`` (a whole run in a work dir: what
``ninjagrad train`` does), ``sample`` (generating names), ``check`` (the gradient table of
``ninjagrad check``).
"""
