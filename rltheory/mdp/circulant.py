"""Action-shift (circulant) kernels ``P(s'|s,a) = P0(s, (s' - a) mod S)``.

This is the kernel family of the synthetic MDPs of Zhang, Wang, Mitra, Anderson (ICLR 2024,
FedSARSA), whose action ``a`` shifts the columns of one state kernel ``P0`` cyclically by ``a``.
Storing ``P0 [S, S]`` instead of the dense ``[S, A, S]`` tensor saves a factor A of memory
(100 for the paper's instance); every operator works on ``P0`` and index arithmetic.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from rltheory.mdp._validation import as_float_array, check_distribution_rows, check_shape, freeze
from rltheory.mdp.transitions import TransitionOperator, _RowSampler


class CirculantTransitions(TransitionOperator):
    """Time-homogeneous kernel ``P(s'|s,a) = base[s, (s' - a) mod S]`` for ``a = 0..A-1``.

    ``base [S, S]`` has distribution rows; ``n_actions`` defaults to ``S`` (one action per
    shift). ``expect`` and ``push`` cost O(S²A) per vector, sampling one uniform and O(log S²).
    """

    def __init__(self, base: np.ndarray, n_actions: int | None = None):
        p = as_float_array(base, "base")
        check_shape(p, "base", ndim=2)
        if p.shape[0] != p.shape[1]:
            raise ValueError(f"base must be a square [S, S] kernel, got shape {p.shape}")
        check_distribution_rows(p, "base")
        n_states = p.shape[0]
        n_actions = n_states if n_actions is None else int(n_actions)
        if n_actions < 1:
            raise ValueError(f"n_actions must be >= 1, got {n_actions}")
        self.base = freeze(p)
        self.n_layers, self.n_states, self.n_actions = 1, n_states, n_actions

    @cached_property
    def _shifted(self) -> np.ndarray:
        """``(c + a) mod S`` as ``[S, A]``: the next state reached from base column ``c``."""
        return (np.arange(self.n_states)[:, None] + np.arange(self.n_actions)) % self.n_states

    def expect(
        self, values: np.ndarray, h: int = 0, *, out: np.ndarray | None = None
    ) -> np.ndarray:
        """``(P V)(s, a) = sum_c base[s, c] V((c + a) mod S)``: ``base @ V[shifted]``."""
        self.layer(h)
        values = self._check_values(values)
        result = np.matmul(self.base, values[..., self._shifted])
        if out is None:
            return result
        self._flat_out(values, out)  # validates shape, dtype and layout
        out[...] = result
        return out

    def push(self, weights: np.ndarray, h: int = 0) -> np.ndarray:
        """``sum_{s,a} w(s,a) P(s'|s,a) = sum_a M[a, (s' - a) mod S]``, ``M = w^T base``."""
        self.layer(h)
        weights = self._check_weights(weights)
        m = np.matmul(np.swapaxes(weights, -1, -2), self.base)  # [..., A, S]
        columns = (np.arange(self.n_states)[:, None] - np.arange(self.n_actions)) % self.n_states
        return m[..., np.arange(self.n_actions), columns].sum(-1)

    def dense(self) -> np.ndarray:
        columns = (np.arange(self.n_states)[None, :] - np.arange(self.n_actions)[:, None]) % (
            self.n_states
        )
        return self.base[:, columns][None]  # [1, S, A, S']

    @cached_property
    def _sampler(self) -> _RowSampler:
        return _RowSampler(self.base)

    def sample_from_uniforms(self, h, states, actions, uniforms):
        self.layer(h)
        states, actions = np.asarray(states), np.asarray(actions)
        column = self._sampler(states, np.asarray(uniforms)[0])
        return (column + actions) % self.n_states
