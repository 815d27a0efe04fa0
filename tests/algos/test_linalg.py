"""Linear-algebra cores against dense recomputation with np.linalg.inv."""

from __future__ import annotations

import numpy as np
import pytest

from rltheory.algos._linalg import (
    absorb_rank_one,
    absorb_rows,
    cholesky_inverse,
    downdate_quadratic_forms,
    elliptical_bonus,
    max_last_axis,
    quadratic_forms,
    ridge_solve,
    sherman_morrison,
)


def random_rows(rng, shape):
    """Rows on the simplex (||phi|| <= 1), as in Jin et al.'s normalization."""
    return rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])


def test_sherman_morrison_sequence_equals_inverse():
    rng = np.random.default_rng(0)
    batch, d, n, lam = (3, 2), 5, 400, 1.0
    updates = random_rows(rng, (n, *batch, d))
    linv = np.broadcast_to(np.eye(d) / lam, (*batch, d, d)).copy()
    log_det = np.full(batch, d * np.log(lam))
    for u in updates:
        linv, _, den = sherman_morrison(linv, u)
        log_det += np.log(den)
    gram = lam * np.eye(d) + np.einsum("nbcd,nbce->bcde", updates, updates)
    np.testing.assert_allclose(linv, np.linalg.inv(gram), rtol=0, atol=1e-8)
    np.testing.assert_allclose(log_det, np.linalg.slogdet(gram)[1], rtol=1e-10)
    np.testing.assert_array_equal(linv, np.swapaxes(linv, -1, -2))  # stays exactly symmetric


def test_cached_quadratic_forms_equal_recompute():
    rng = np.random.default_rng(1)
    d, rows, n = 6, 40, 300
    features = random_rows(rng, (rows, d))
    linv = np.broadcast_to(np.eye(d), (2, d, d)).copy()
    q = quadratic_forms(linv, features)
    np.testing.assert_allclose(q, np.broadcast_to((features**2).sum(-1), (2, rows)), rtol=1e-14)
    for u in random_rows(rng, (n, 2, d)):
        linv, g, den = sherman_morrison(linv, u)
        q = downdate_quadratic_forms(q, np.ascontiguousarray(features.T), g, den)
    direct = np.einsum("nd,bde,ne->bn", features, linv, features)
    np.testing.assert_allclose(q, direct, rtol=0, atol=1e-8)
    assert (q > 0).all()


def test_cholesky_inverse_and_ridge_solve():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 30, 7))
    gram = np.eye(7) + np.swapaxes(x, -1, -2) @ x
    inverse = cholesky_inverse(gram)
    np.testing.assert_allclose(inverse, np.linalg.inv(gram), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(inverse, np.swapaxes(inverse, -1, -2))
    y = rng.normal(size=(4, 30))
    w = ridge_solve(inverse, (np.swapaxes(x, -1, -2) @ y[..., None])[..., 0])
    for b in range(4):  # normal equations of min ||y - Xw||^2 + ||w||^2
        np.testing.assert_allclose(gram[b] @ w[b], x[b].T @ y[b], rtol=0, atol=1e-10)
    with pytest.raises(ValueError, match="not positive definite"):
        cholesky_inverse(-np.eye(3))


def test_elliptical_bonus_clamps_rounding_negatives():
    q = np.array([4.0, 0.25, -1e-17, 0.0])
    np.testing.assert_array_equal(elliptical_bonus(q, 2.0), [4.0, 1.0, 0.0, 0.0])


def test_batched_calls_are_bit_identical_to_single_items():
    """Each batch item goes through the same BLAS call whatever the batch size."""
    rng = np.random.default_rng(3)
    d, rows = 10, 250
    features = random_rows(rng, (rows, d))
    features_t = np.ascontiguousarray(features.T)
    x = rng.normal(size=(5, 3, 20, d))
    linv = cholesky_inverse(np.eye(d) + np.swapaxes(x, -1, -2) @ x)
    u = random_rows(rng, (5, 3, d))
    q = quadratic_forms(linv, features)
    batched_new, batched_g, batched_den = sherman_morrison(linv, u)
    batched_q = downdate_quadratic_forms(q, features_t, batched_g, batched_den)
    for b in range(5):
        new, g, den = sherman_morrison(linv[b : b + 1], u[b : b + 1])
        np.testing.assert_array_equal(new[0], batched_new[b])
        single_q = downdate_quadratic_forms(q[b : b + 1], features_t, g, den)
        np.testing.assert_array_equal(single_q[0], batched_q[b])
        np.testing.assert_array_equal(quadratic_forms(linv[b : b + 1], features)[0], q[b])


def test_absorb_rows_equals_sequential_rank_one_updates():
    """Woodbury block update of k rows == k Sherman–Morrison steps (to rounding) == inverse;
    batched items equal single items bit for bit."""
    rng = np.random.default_rng(4)
    batch, k, d, n = 6, 10, 5, 40
    features = random_rows(rng, (n, d))
    features_t = np.ascontiguousarray(features.T)
    x = random_rows(rng, (batch, 30, d))
    gram = np.eye(d) + np.swapaxes(x, -1, -2) @ x
    linv = cholesky_inverse(gram)
    quad = quadratic_forms(linv, features)
    rows = random_rows(rng, (batch, k, d))
    block = [gram.copy(), linv.copy(), quad.copy()]
    absorb_rows(*block, rows, features_t)
    sequential = [gram.copy(), linv.copy(), quad.copy()]
    for i in range(k):
        absorb_rank_one(*sequential, rows[:, i], features_t)
    for got, want in zip(block, sequential, strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    new_gram = gram + np.swapaxes(rows, -1, -2) @ rows
    np.testing.assert_allclose(block[1], np.linalg.inv(new_gram), rtol=0, atol=1e-12)
    for b in (0, 3):
        single = [gram[b : b + 1].copy(), linv[b : b + 1].copy(), quad[b : b + 1].copy()]
        absorb_rows(*single, rows[b : b + 1], features_t)
        for got, want in zip(single, block, strict=True):
            np.testing.assert_array_equal(got[0], want[b])


@pytest.mark.parametrize("shape", [(3, 7), (40, 50, 5), (200, 4), (3, 20)])
def test_max_last_axis_equals_numpy_max(shape):
    """The transposed reduction gives .max(-1) exactly, ties and -inf included."""
    rng = np.random.default_rng(5)
    values = np.round(rng.normal(size=shape), 1)  # many ties
    values.flat[::7] = -np.inf
    np.testing.assert_array_equal(max_last_axis(values), values.max(-1))
    out = np.empty(shape[:-1])
    assert max_last_axis(values, out=out) is out
    np.testing.assert_array_equal(out, values.max(-1))
