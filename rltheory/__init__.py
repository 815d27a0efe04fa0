"""rltheory: a testbed where regret bounds meet exactly computed curves."""

__version__ = "0.1.0"
