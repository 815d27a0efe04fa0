"""Conformance checks for registered environment families and algorithms (sklearn-style)."""

from rltheory.testing.checks import (
    ALGORITHM_CHECKS,
    ENVIRONMENT_CHECKS,
    check_algorithm,
    check_environment,
    tiny_model,
    yield_algorithm_checks,
    yield_environment_checks,
)
from rltheory.testing.registration import scoped_registrations

__all__ = [
    "ALGORITHM_CHECKS",
    "ENVIRONMENT_CHECKS",
    "check_algorithm",
    "check_environment",
    "scoped_registrations",
    "tiny_model",
    "yield_algorithm_checks",
    "yield_environment_checks",
]
