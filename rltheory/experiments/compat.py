"""The environment × algorithm structure pass: build every environment configuration of a spec
and check it offers what the protocol and each algorithm require (structure tags, see
:data:`rltheory.algos.protocols.STRUCTURES`). Opt-in: ``load_spec`` runs it before a run;
reading results back skips it, so a report never rebuilds environments."""

from __future__ import annotations

from rltheory.algos import get as get_algorithm
from rltheory.algos import missing_structures
from rltheory.experiments.spec import ExperimentSpec
from rltheory.experiments.validation import Checker


def check_compatibility(spec: ExperimentSpec, check: Checker) -> None:
    """Add a located problem for every environment that cannot be built and for every
    (environment, algorithm) pair whose required structure is missing."""
    protocol = spec.protocol_object
    single = len(spec.environments) == 1
    for i, env in enumerate(spec.environments):
        path = "env" if single else f"env[{i}]"
        for config in env.configurations():
            try:
                model = config.build()
            except (TypeError, ValueError) as error:
                check.fail(f"{path}.params", f"{config.describe()}: {error}")
                continue
            for j, algorithm in enumerate(spec.algorithms):
                entry = get_algorithm(algorithm.id)
                missing = missing_structures(protocol.requires | entry.requires, model)
                if missing:
                    check.fail(
                        f"algorithms[{j}].id",
                        f"algorithm '{entry.id}' ({protocol.name} protocol) needs "
                        f"{'; '.join(missing)}, which environment {config.describe()} does not "
                        "provide",
                    )
