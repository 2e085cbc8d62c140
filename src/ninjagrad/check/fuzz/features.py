"""What the generator may put into a program, and what it leaves out for now.

Every feature is a switch of the generator. ``KNOWN_GAPS`` names the features that still
find engine bugs (each entry quotes its item of issue 13); the CI slice and the default
``ninjagrad fuzz`` run leave them out, ``--with-gaps`` puts them back. When a bug is fixed,
delete its entry here: the CI slice then keeps it fixed.
"""

FEATURES = {
    # tensor programs
    "float64": "float64 leaves next to float32 ones (mixed float dtypes promote)",
    "float64_literals": "float64 leaves from Python floats that float32 cannot hold (0.1)",
    "int64": "int64 leaves and .long() results (integer arithmetic, promotion to float)",
    "empty": "size-0 dimensions",
    "special_values": "0, -0, huge, tiny, inf and nan in leaf data",
    "huge_values": "results beyond 1e15 in magnitude (exp of exp ...)",
    "domain_edges": "log/sqrt/division/pow at or beyond the edge of their domain",
    "reductions": "sum, mean, max, min, var, std with dim and keepdim",
    "max_all": "max()/min() without dim (ties included)",
    "var_std": "var and std (unbiased, correction=)",
    "std_zero": "std of constant data (the result is 0)",
    "var_correction": "var/std with correction >= the number of elements, or an empty dim",
    "sum_empty_dims": "sum/mean/var/std with dim=() (PyTorch: reduce everything)",
    "matmul": "@ between 1-D, 2-D and batched operands",
    "pow_tensor": "x ** y with a tensor exponent and a positive base",
    "pow_nonpositive_base": "x ** y and c ** x where the base is <= 0",
    "softmax": "F.softmax and F.log_softmax over a dim",
    "softmax_edge": "softmax of a 0-d tensor or over an empty dim",
    "views": "basic indexing, view, reshape, T, t, transpose, permute, squeeze, unsqueeze",
    "permute_negative": "permute with negative dims",
    "t_not_2d": "t() of a tensor that is not 2-D (PyTorch: a view, or an error above 2-D)",
    "squeeze_tuple": "squeeze with a tuple of dims",
    "advanced_index": "integer-list/tensor indices and (range(n), targets) pairs",
    "advanced_index_split": "advanced indices separated by a slice (x[0, :, [0, 1]])",
    "index_tensor_named": "an index tensor in a variable of its own (i1 = T.tensor([0, 2]); "
                          "x[i1]), which later statements may change in place",
    "bool_index": "x[True] and x[False]",
    "cat_stack": "cat and stack of same-dtype tensors",
    "cat_mixed_dtype": "cat and stack of tensors with different dtypes",
    "conversions": "to(dtype), double(), float(), long(), clone(), detach()",
    "comparisons": "==, <, > ... giving bool tensors, used as masks",
    "data_read": "values computed from .data (x.data * y.data, -x.data, x.data < 2, "
                 "x.data.std(), x.data.max(d).values, x.data.sum(dim=d), "
                 "x.data.transpose(0, 1) ...) copied into T.tensor(...)",
    "bool_math": "math PyTorch refuses on bool tensors (mask - x, -mask, mask.relu())",
    "retain_grad": "retain_grad() on intermediates, their .grad compared",
    "second_backward": "backward() twice through the same graph, with and without "
                       "retain_graph=True",
    # in-place programs
    "inplace": "+=, -=, *=, /=, zero_(), fill_(), x[i] = v on tensors not used before",
    "inplace_no_grad": "in-place updates inside `with T.no_grad():`",
    "data_update": "updates through .data (x.data += ..., x.data[i] = ...)",
    "inplace_after_use": "an in-place update of a tensor (or an alias) that an earlier op "
                         "already used",
    "view_aliasing": "an in-place update of a tensor that another live variable views",
    "inplace_leaf_zero_fill": "zero_()/fill_() on a leaf that requires grad",
    "inplace_nonleaf_zero_fill": "zero_()/fill_() on a non-leaf inside a graph",
    "inplace_dtype_change": "h += y where y's dtype would change h's (float32 += float64)",
    "inplace_shape_change": "h += y where y's shape would grow h",
    "training_step": "backward, an SGD step under no_grad, grads zeroed, forward again",
    # custom Functions
    "function": "Function subclasses: saved tensors, ctx attributes, needs_input_grad, "
                "non-tensor arguments, None gradients",
    "function_none_grad": "a backward returning None for an input that requires grad",
    "function_tuple_outputs": "a forward returning a tuple of tensors",
    "function_extra_none": "a backward returning extra trailing Nones",
    # Value
    "value": "Value expression DAGs: + - * / ** exp log tanh relu sigmoid, numbers on "
             "either side",
}

# feature -> the item of issue 13 it still finds. The engine-fix work shrinks this.
KNOWN_GAPS = {
    "second_backward": "fixed in the engine (versions branch); left out because PyTorch "
                       "aliases the .grad of 0-d leaves fed by one add (a5.sum() + a2.sum(), "
                       "backward twice: a2.grad is 3 in PyTorch, 2 in ninjagrad and by the "
                       "math) - the fuzzer should avoid or tolerate that quirk",
}

CATEGORIES = ("tensor", "inplace", "function", "value")


def enabled_features(with_gaps=False, enable=(), disable=()):
    """The feature set of a run: all features, minus the known gaps unless ``with_gaps``,
    plus ``enable``, minus ``disable``."""
    unknown = [f for f in (*enable, *disable) if f not in FEATURES]
    if unknown:
        raise ValueError(f"unknown fuzz feature(s): {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(FEATURES))})")
    features = set(FEATURES) if with_gaps else set(FEATURES) - set(KNOWN_GAPS)
    return frozenset((features | set(enable)) - set(disable))
