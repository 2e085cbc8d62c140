"""Checking gradients: ``gradcheck`` (central finite differences in float64) and
``compare`` (the lecture's ``cmp``: exact, approximate, maxdiff)."""
