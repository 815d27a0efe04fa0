"""Transition operators: dense tabular, low-rank linear MDP, linear mixture.

Every operator represents ``P_h(s'|s,a)`` for ``h = 0..H-1`` (paper step ``h+1``) through a stack
of ``n_layers`` kernels: ``n_layers == 1`` is a time-homogeneous kernel shared by all steps,
``n_layers == H`` a time-inhomogeneous one. All methods are vectorized:

- ``expect(values, h)``: ``(P_h V)(s, a) = sum_s' P_h(s'|s,a) V(s')`` for ``values [..., S]``,
  returning ``[..., S, A]`` (leading axes batch over policies or seeds);
- ``push(weights, h)``: the adjoint, ``sum_{s,a} w(s,a) P_h(s'|s,a)`` for ``weights [..., S, A]``,
  returning ``[..., S]`` (forward propagation of occupancy measures);
- ``sample(h, states, actions, rng)``: next states for arrays of states and actions;
- ``dense()``: the full tensor ``[n_layers, S, A, S]`` (small models and tests only).

Sampling is by inversion of the cumulative distribution with one uniform (two for the latent
draw of a low-rank kernel) per sample, so a batch of samples is a pure function of the uniforms:
``sample_from_uniforms`` makes batched rollouts bit-identical to one-seed-at-a-time rollouts.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from rltheory.mdp._validation import (
    ATOL,
    as_float_array,
    check_distribution_rows,
    check_shape,
    freeze,
)


class _RowSampler:
    """Inverse-CDF sampling from many categorical rows at once.

    ``probabilities`` is ``[R, S]``. The cumulative rows are laid end to end with an offset of
    ``2·r`` so one ``searchsorted`` over the flat array serves a whole batch: a draw costs
    O(log(R·S)) instead of O(S). Built once per operator and reused.
    """

    def __init__(self, probabilities: np.ndarray):
        cdf = _cdf(probabilities)
        self.n_cols = cdf.shape[-1]
        self.offsets = 2.0 * np.arange(cdf.shape[0])
        self.flat = (cdf + self.offsets[:, None]).ravel()

    def __call__(self, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Index of the first entry of row ``rows[i]``'s CDF strictly above ``u[i]``."""
        rows = np.asarray(rows)
        position = self.flat.searchsorted(self.offsets[rows] + u, side="right")
        return np.minimum(position - rows * self.n_cols, self.n_cols - 1)


def _cdf(probabilities: np.ndarray) -> np.ndarray:
    """Row-wise cumulative distribution with the last entry pinned to exactly 1."""
    cdf = np.cumsum(probabilities, axis=-1)
    cdf[..., -1] = 1.0
    return cdf


class TransitionOperator:
    """Common interface and bookkeeping of the transition operators (see module docstring)."""

    n_states: int
    n_actions: int
    n_layers: int

    def layer(self, h: int) -> int:
        """Index into the kernel stack used at step ``h`` (0-based)."""
        if self.n_layers == 1:
            return 0
        if not 0 <= h < self.n_layers:
            raise IndexError(f"step h={h} out of range for a kernel with {self.n_layers} layers")
        return h

    @property
    def time_homogeneous(self) -> bool:
        return self.n_layers == 1

    def expect(
        self, values: np.ndarray, h: int = 0, *, out: np.ndarray | None = None
    ) -> np.ndarray:
        """``(P_h V)(s, a)`` ``[..., S, A]``; written into ``out`` (C-contiguous) when given."""
        raise NotImplementedError

    def push(self, weights: np.ndarray, h: int = 0) -> np.ndarray:
        raise NotImplementedError

    def dense(self) -> np.ndarray:
        raise NotImplementedError

    def sample_from_uniforms(
        self, h: int, states: np.ndarray, actions: np.ndarray, uniforms: np.ndarray
    ) -> np.ndarray:
        """Next states for ``states``/``actions`` of any common shape; ``uniforms [2, *shape]``."""
        raise NotImplementedError

    def sample(
        self, h: int, states: np.ndarray, actions: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw ``s' ~ P_h(.|s, a)`` for arrays ``states`` and ``actions`` of one shape."""
        states, actions = np.broadcast_arrays(np.asarray(states), np.asarray(actions))
        return self.sample_from_uniforms(h, states, actions, rng.random((2, *states.shape)))

    def _check_values(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if values.shape[-1:] != (self.n_states,):
            raise ValueError(
                f"values must have last axis of length S={self.n_states}, got shape {values.shape}"
            )
        return values

    def _flat_out(self, values: np.ndarray, out: np.ndarray | None) -> np.ndarray | None:
        """``out [..., S, A]`` viewed as ``[..., S·A]`` (the layout the matmul writes)."""
        if out is None:
            return None
        shape = (*values.shape[:-1], self.n_states, self.n_actions)
        if out.shape != shape or out.dtype != np.float64 or not out.flags.c_contiguous:
            raise ValueError(
                f"out must be a C-contiguous float64 array of shape {shape}, got "
                f"{out.dtype} {out.shape}"
            )
        return out.reshape(*shape[:-2], self.n_states * self.n_actions)

    def _check_weights(self, weights: np.ndarray) -> np.ndarray:
        weights = np.asarray(weights, dtype=float)
        if weights.shape[-2:] != (self.n_states, self.n_actions):
            raise ValueError(
                f"weights must end with axes (S, A)=({self.n_states}, {self.n_actions}), "
                f"got shape {weights.shape}"
            )
        return weights


class DenseTransitions(TransitionOperator):
    """Tabular kernel ``P[L, S, A, S']``; ``expect`` costs O(S²A) per value vector."""

    def __init__(self, probabilities: np.ndarray, *, name: str = "P"):
        p = as_float_array(probabilities, name)
        if p.ndim == 3:
            p = p[None]
        check_shape(p, name, ndim=4)
        n_layers, n_states, n_actions, n_next = p.shape
        if n_next != n_states:
            raise ValueError(
                f"{name} must have shape [L, S, A, S]; got {p.shape} (next-state axis {n_next} "
                f"!= S={n_states})"
            )
        check_distribution_rows(p, name)
        self.probabilities = freeze(p)
        self.n_layers, self.n_states, self.n_actions = n_layers, n_states, n_actions

    def expect(
        self, values: np.ndarray, h: int = 0, *, out: np.ndarray | None = None
    ) -> np.ndarray:
        values = self._check_values(values)
        kernel = self.probabilities[self.layer(h)].reshape(-1, self.n_states)  # [S·A, S'] view
        flat = np.matmul(values, kernel.T, out=self._flat_out(values, out))  # no copy of P
        return flat.reshape(*flat.shape[:-1], self.n_states, self.n_actions)

    def push(self, weights: np.ndarray, h: int = 0) -> np.ndarray:
        weights = self._check_weights(weights)
        flat = weights.reshape(*weights.shape[:-2], self.n_states * self.n_actions)
        return flat @ self.probabilities[self.layer(h)].reshape(-1, self.n_states)

    def dense(self) -> np.ndarray:
        return self.probabilities

    @cached_property
    def _sampler(self) -> _RowSampler:
        return _RowSampler(self.probabilities.reshape(-1, self.n_states))

    def sample_from_uniforms(self, h, states, actions, uniforms):
        states, actions = np.asarray(states), np.asarray(actions)
        rows = (self.layer(h) * self.n_states + states) * self.n_actions + actions
        return self._sampler(rows, np.asarray(uniforms)[0])


class LowRankTransitions(TransitionOperator):
    """Linear-MDP kernel ``P_h(s'|s,a) = <phi(s,a), mu_h(s')>`` (Jin et al. 2020, Assumption A).

    Stored as ``phi [S, A, d]`` and ``mu [L, d, S]``; ``expect`` costs O(S·A·d + d·S) per value
    vector instead of O(S²·A). When every ``phi(s,a)`` lies on the simplex and every ``mu_h[j]``
    is a distribution (Jin et al. Example 2.2), sampling draws a latent ``j ~ phi(s,a)`` and then
    ``s' ~ mu_h[j]`` in O(log(d·S)); otherwise it forms the needed rows ``phi(s,a) mu_h``.
    """

    def __init__(self, phi: np.ndarray, mu: np.ndarray):
        phi = as_float_array(phi, "phi")
        mu = as_float_array(mu, "mu")
        check_shape(phi, "phi", ndim=3)
        if mu.ndim == 2:
            mu = mu[None]
        check_shape(mu, "mu", ndim=3)
        n_states, n_actions, d = phi.shape
        if mu.shape[1:] != (d, n_states):
            raise ValueError(
                f"mu must have shape [L, d, S] = [L, {d}, {n_states}] to match phi {phi.shape}, "
                f"got {mu.shape}"
            )
        self.phi, self.mu = freeze(phi), freeze(mu)
        self.n_layers, self.n_states, self.n_actions, self.dim = mu.shape[0], n_states, n_actions, d
        self.latent = bool(
            np.all(phi >= 0)
            and np.allclose(phi.sum(-1), 1.0, atol=ATOL)
            and np.all(mu >= 0)
            and np.allclose(mu.sum(-1), 1.0, atol=ATOL)
        )
        self._validate()

    def _validate(self) -> None:
        mass = np.einsum("sad,ld->lsa", self.phi, self.mu.sum(-1))
        bad = np.argwhere(np.abs(mass - 1.0) > ATOL)
        if bad.size:
            layer, s, a = bad[0]
            raise ValueError(
                f"low-rank transitions are not stochastic: sum_s' <phi(s,a), mu_h(s')> = "
                f"{mass[layer, s, a]:.6g} != 1 at (h={layer}, s={s}, a={a})"
            )
        if self.latent:
            return
        for layer in range(self.n_layers):  # signed factors: check P >= 0 row block by row block
            chunk = max(1, 2**22 // max(1, self.n_actions * self.n_states))
            for start in range(0, self.n_states, chunk):
                block = self.phi[start : start + chunk] @ self.mu[layer]
                if block.min() < -ATOL:
                    s, a, t = np.unravel_index(block.argmin(), block.shape)
                    raise ValueError(
                        f"low-rank transitions have a negative probability "
                        f"P(s'={t}|s={start + s}, a={a}) = {block.min():.3g} at h={layer}"
                    )

    def expect(
        self, values: np.ndarray, h: int = 0, *, out: np.ndarray | None = None
    ) -> np.ndarray:
        values = self._check_values(values)
        projected = values @ self.mu[self.layer(h)].T  # [..., d]
        flat = np.matmul(projected, self._phi_t, out=self._flat_out(values, out))
        return flat.reshape(*flat.shape[:-1], self.n_states, self.n_actions)

    @cached_property
    def _phi_t(self) -> np.ndarray:
        """``phi`` arranged as ``[d, S, A]`` so ``w @ _phi_t`` broadcasts to ``[..., S, A]``."""
        return np.ascontiguousarray(np.moveaxis(self.phi, -1, 0)).reshape(self.dim, -1)

    def push(self, weights: np.ndarray, h: int = 0) -> np.ndarray:
        weights = self._check_weights(weights)
        latent = np.einsum("...sa,sad->...d", weights, self.phi)
        return latent @ self.mu[self.layer(h)]

    def dense(self) -> np.ndarray:
        return np.einsum("sad,ldt->lsat", self.phi, self.mu)

    @cached_property
    def _mu_sampler(self) -> _RowSampler:
        return _RowSampler(self.mu.reshape(-1, self.n_states))

    @cached_property
    def _phi_sampler(self) -> _RowSampler:
        return _RowSampler(self.phi.reshape(-1, self.dim))

    def sample_from_uniforms(self, h, states, actions, uniforms):
        states, actions = np.asarray(states), np.asarray(actions)
        uniforms = np.asarray(uniforms)
        layer = self.layer(h)
        if self.latent:
            j = self._phi_sampler(states * self.n_actions + actions, uniforms[0])
            return self._mu_sampler(layer * self.dim + j, uniforms[1])
        rows = np.clip(self.phi[states, actions] @ self.mu[layer], 0.0, None)
        rows = rows.reshape(-1, self.n_states)
        drawn = _RowSampler(rows)(np.arange(rows.shape[0]), uniforms[0].ravel())
        return drawn.reshape(states.shape)


class LinearMixtureTransitions(DenseTransitions):
    """Linear-mixture kernel ``P_h(s'|s,a) = sum_j theta_h[j] psi_j(s'|s,a)`` with known basis.

    ``basis [S, A, S', d]`` is ``psi`` (the feature ``phi(s'|s,a)`` of Zhou, Gu, Szepesvári 2021)
    and ``theta [L, d]`` the unknown mixing weights. The kernel itself is materialised once (a
    linear mixture is a tabular model with extra structure); the algorithms use the integration
    map ``integrate(V) = phi_V(s,a) = sum_s' psi(s'|s,a) V(s')``.
    """

    def __init__(self, basis: np.ndarray, theta: np.ndarray):
        basis = as_float_array(basis, "basis")
        theta = as_float_array(theta, "theta")
        check_shape(basis, "basis", ndim=4)
        if theta.ndim == 1:
            theta = theta[None]
        check_shape(theta, "theta", ndim=2)
        n_states, _n_actions, n_next, d = basis.shape
        if n_next != n_states:
            raise ValueError(f"basis must have shape [S, A, S, d]; got {basis.shape}")
        if theta.shape[1] != d:
            raise ValueError(
                f"theta must have shape [L, d] with d={d} to match basis {basis.shape}, "
                f"got {theta.shape}"
            )
        super().__init__(np.einsum("satd,ld->lsat", basis, theta), name="P = basis @ theta")
        self.basis, self.theta, self.dim = freeze(basis), freeze(theta), d

    def integrate(self, values: np.ndarray) -> np.ndarray:
        """``phi_V(s,a) = sum_s' psi(s'|s,a) V(s')``: ``values [..., S]`` -> ``[..., S, A, d]``."""
        values = self._check_values(values)
        return np.einsum("satd,...t->...sad", self.basis, values)
