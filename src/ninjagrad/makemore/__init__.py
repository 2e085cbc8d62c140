"""makemore, part 4: the names MLP trained with hand-written backward passes.

``data`` (word lists, vocabulary, splits), ``model`` (parameters, init, inference),
``manual`` (the hand-written backward passes), ``train`` (the training loop),
``checkpoint`` (work-dir files), ``sample`` (generating names), ``check`` (the gradient
table of ``ninjagrad check``).
"""
