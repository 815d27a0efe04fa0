"""The environment × algorithm structure pass: build every environment configuration of a spec
and check it offers what the protocol and each algorithm require (structure tags, see
:data:`rltheory.algos.protocols.STRUCTURES`), and warn where it violates a normalisation that
one of the algorithm's bounds assumes (:mod:`rltheory.envs.assumptions`). Opt-in: ``load_spec``
runs it before a run; reading results back skips it, so a report never rebuilds environments."""

from __future__ import annotations

import warnings

from rltheory.algos import get as get_algorithm
from rltheory.algos import missing_structures
from rltheory.bounds import bounds_for
from rltheory.envs import get_family
from rltheory.envs.assumptions import ASSUMPTIONS, AssumptionWarning, check_assumptions
from rltheory.experiments.protocols.base import ENV_PARAMS
from rltheory.experiments.spec import ExperimentSpec, tied
from rltheory.experiments.validation import Checker


def warn_voided(where: str, violations: dict[str, str], algorithm: str, index: int) -> None:
    """An :class:`~rltheory.envs.assumptions.AssumptionWarning` per violated assumption that
    voids a bound of ``algorithm`` (the report will not draw those bounds)."""
    for key, detail in sorted(violations.items()):
        voided = [b.id for b in bounds_for(algorithm) if key in b.assumes]
        if voided:
            warnings.warn(
                AssumptionWarning(
                    f"{where} violates {ASSUMPTIONS[key].statement} ({detail}): this voids "
                    f"{', '.join(voided)} for algorithms[{index}] '{algorithm}' (not drawn)"
                ),
                stacklevel=3,
            )


def check_compatibility(spec: ExperimentSpec, check: Checker) -> None:
    """Add a located problem for every environment that cannot be built and for every
    (environment, algorithm) pair whose required structure is missing."""
    protocol = spec.protocol_object
    single = len(spec.environments) == 1
    points = spec.points()
    tied_names = sorted({n for point in points for n in point.get(ENV_PARAMS, {})})
    for i, env in enumerate(spec.environments):
        path = "env" if single else f"env[{i}]"
        accepted = get_family(env.id).defaults
        untied = [n for n in tied_names if n not in accepted or n in env.params]
        for name in untied:
            reason = "sets it in params" if name in env.params else "has no such parameter"
            check.fail(
                f"tie.{name}",
                f"environment '{env.id}' ({path}) {reason}; a tied parameter is set from the "
                f"protocol's setting for every environment",
            )
        if untied:
            continue
        configs = {}
        for config in (tied(c, p) for c in env.configurations() for p in points):
            configs.setdefault(config.describe(), config)
        for config in configs.values():
            try:
                model = config.build()
            except (TypeError, ValueError) as error:
                check.fail(f"{path}.params", f"{config.describe()}: {error}")
                continue
            violations = check_assumptions(model)
            for j, algorithm in enumerate(spec.algorithms):
                entry = get_algorithm(algorithm.id)
                warn_voided(f"{path}: environment {config.describe()}", violations, entry.id, j)
                missing = missing_structures(protocol.requires | entry.requires, model)
                if missing:
                    check.fail(
                        f"algorithms[{j}].id",
                        f"algorithm '{entry.id}' ({protocol.name} protocol) needs "
                        f"{'; '.join(missing)}, which environment {config.describe()} does not "
                        "provide",
                    )
