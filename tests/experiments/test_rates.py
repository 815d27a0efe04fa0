"""Which model size a swept environment parameter is plotted against."""

from __future__ import annotations

import pandas as pd

from rltheory.experiments import results as R
from rltheory.experiments.rates import swept_quantity


def frame(dims, **sizes):
    rows = {R.ENV_PREFIX + "dim": dims, **{R.MODEL_SIZES[k]: v for k, v in sizes.items()}}
    base = {size: [3] * len(dims) for size in R.MODEL_SIZES.values()}
    return pd.DataFrame({**base, **rows})


def test_the_size_equal_to_the_parameter_wins_over_another_one_to_one_size():
    """hf-hard's ``dim`` sets d = dim and A = 2^(dim-1): both vary one-to-one with it, and the
    rate must be read against d (the old rule took the first in S, A, H, d order: A)."""
    dims = [2, 3, 4, 6, 8]
    hard = frame(dims, d=dims, A=[2 ** (x - 1) for x in dims])
    assert swept_quantity(hard, "dim") == ("model.d", "d")
    # the linear-MDP encoding (d = dim + 2): no size equals dim, the first one-to-one one is used
    linear = frame(dims, d=[x + 2 for x in dims], A=[2 ** (x - 1) for x in dims])
    assert swept_quantity(linear, "dim") == ("model.A", "A")
    # no size varies with it: the parameter itself
    assert swept_quantity(frame(dims), "dim") == (R.ENV_PREFIX + "dim", "dim")
