"""Transition operators: low-rank and mixture structure against their dense kernels."""

from __future__ import annotations

import numpy as np
import pytest
from mdp_factories import lowrank_factors, signed_factors

from rltheory.mdp import DenseTransitions, LinearMixtureTransitions, LowRankTransitions

S, A, D, H = 6, 3, 4, 3


def _lowrank(layers: int, signed: bool) -> tuple[LowRankTransitions, np.ndarray]:
    rng = np.random.default_rng(layers + 10 * signed)
    phi, mu = lowrank_factors(rng, S, A, D, layers)
    if signed:
        phi, mu = signed_factors(phi, mu, rng)
    reference = np.einsum("sad,ldt->lsat", phi, mu)  # P_h(s'|s,a) = <phi(s,a), mu_h(s')>
    return LowRankTransitions(phi, mu), reference


CASES = [(1, False), (H, False), (1, True), (H, True)]
IDS = ["homogeneous", "inhomogeneous", "homogeneous-signed", "inhomogeneous-signed"]


@pytest.mark.parametrize(("layers", "signed"), CASES, ids=IDS)
def test_lowrank_expect_and_push_equal_dense(layers, signed):
    operator, reference = _lowrank(layers, signed)
    assert operator.latent is not signed
    np.testing.assert_allclose(operator.dense(), reference, atol=1e-14)
    rng = np.random.default_rng(0)
    values = rng.normal(size=(2, 5, S))  # batched value vectors
    weights = rng.normal(size=(7, S, A))
    for h in range(H):
        kernel = reference[0 if layers == 1 else h]
        np.testing.assert_allclose(
            operator.expect(values, h), np.einsum("sat,bkt->bksa", kernel, values), atol=1e-13
        )
        np.testing.assert_allclose(
            operator.push(weights, h), np.einsum("sat,bsa->bt", kernel, weights), atol=1e-13
        )
        np.testing.assert_allclose(
            operator.expect(values[0, 0], h), kernel @ values[0, 0], atol=1e-13
        )
    dense = DenseTransitions(reference)
    for h in range(H):
        np.testing.assert_allclose(dense.expect(values, h), operator.expect(values, h), atol=1e-13)
        np.testing.assert_allclose(dense.push(weights, h), operator.push(weights, h), atol=1e-13)


def test_push_is_the_adjoint_of_expect():
    """<w, P V> = <P^T w, V> for every operator kind."""
    operator, reference = _lowrank(H, True)
    rng = np.random.default_rng(1)
    basis = np.moveaxis(rng.dirichlet(np.ones(S), size=(S, A, D)), 2, 3)
    operators = [operator, DenseTransitions(reference), LinearMixtureTransitions(basis, np.eye(D))]
    values, weights = rng.normal(size=S), rng.normal(size=(S, A))
    for op in operators:
        for h in range(op.n_layers):
            lhs = np.sum(weights * op.expect(values, h))
            assert lhs == pytest.approx(op.push(weights, h) @ values, abs=1e-12)


@pytest.mark.parametrize("layers", [1, H])
def test_mixture_integrate_times_theta_is_expect(layers):
    rng = np.random.default_rng(2)
    basis = np.moveaxis(rng.dirichlet(np.ones(S), size=(S, A, D)), 2, 3)  # psi[s, a, s', j]
    theta = rng.dirichlet(np.ones(D), size=layers)
    operator = LinearMixtureTransitions(basis, theta)
    np.testing.assert_allclose(
        operator.dense(), np.einsum("satj,lj->lsat", basis, theta), atol=1e-15
    )
    values = rng.normal(size=(4, S))
    integrated = operator.integrate(values)  # phi_V(s, a) [4, S, A, d]
    assert integrated.shape == (4, S, A, D)
    np.testing.assert_allclose(integrated, np.einsum("satj,bt->bsaj", basis, values), atol=1e-14)
    for h in range(layers):
        np.testing.assert_allclose(integrated @ theta[h], operator.expect(values, h), atol=1e-13)


def test_layer_index_out_of_range_is_rejected():
    operator, _ = _lowrank(H, False)
    with pytest.raises(IndexError, match="h=3"):
        operator.expect(np.zeros(S), H)


def test_expect_rejects_wrong_value_length():
    operator, _ = _lowrank(1, False)
    with pytest.raises(ValueError, match="S=6"):
        operator.expect(np.zeros(S + 1))
    with pytest.raises(ValueError, match=r"\(S, A\)"):
        operator.push(np.zeros((S, A + 1)))


def test_expect_writes_into_out_and_matches_the_allocating_call():
    operator, reference = _lowrank(H, True)
    rng = np.random.default_rng(3)
    basis = np.moveaxis(rng.dirichlet(np.ones(S), size=(S, A, D)), 2, 3)
    operators = [operator, DenseTransitions(reference), LinearMixtureTransitions(basis, np.eye(D))]
    values = rng.normal(size=(2, S))
    for op in operators:
        out = np.empty((2, S, A))
        returned = op.expect(values, 1, out=out)
        np.testing.assert_array_equal(out, op.expect(values, 1))
        assert np.shares_memory(returned, out)
        with pytest.raises(ValueError, match=r"out must be a C-contiguous float64 array"):
            op.expect(values, 1, out=np.empty((2, A, S)).swapaxes(1, 2))
