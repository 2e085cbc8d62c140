"""makemore, part 4: the names MLP trained with hand-written backward passes.

``model`` is the model: its parameters, their initialisation and its forward pass, written
once and run by both training modes and by inference. Around it: ``data`` (word lists,
vocabulary, splits), ``manual`` (the lecture's exercises: the chunked forward of exercise 1
and the hand-written backward passes), ``train`` (the training loop, ``--backward manual``
or ``autograd``), ``checkpoint`` (the .npz checkpoint), ``workdir`` (a whole run in a work
dir: what ``ninjagrad train`` does), ``sample`` (generating names), ``check`` (the gradient
table of ``ninjagrad check``).
"""
