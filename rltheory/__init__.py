"""rltheory: a testbed where regret bounds meet exactly computed curves."""

__version__ = "0.1.0"

# The built-in environment families, so `import rltheory` is enough for
# gymnasium.make("rltheory/<Name>-v0") (each family registers its gymnasium id).
import rltheory.envs  # noqa: F401
