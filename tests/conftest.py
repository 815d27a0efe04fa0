"""Suite-wide fixtures: temporary registrations that never leak into other tests."""

from __future__ import annotations

import pytest

from rltheory.testing import scoped_registrations


@pytest.fixture
def registrations():
    """Everything the test registers (families with their gymnasium ids, algorithms, ...) is
    removed when it ends, and nothing it unregisters stays missing."""
    with scoped_registrations():
        yield
