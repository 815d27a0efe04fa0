"""Error messages for unknown names: the closest known names and the accepted ones."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known name, or an empty string."""
    match = difflib.get_close_matches(str(name), list(known), n=1)
    return f" (did you mean '{match[0]}'?)" if match else ""


def unknown_id_message(kind: str, id: str, known: Iterable[str]) -> str:
    """``unknown <kind> id '<id>'. Did you mean: a, b? Known: ...`` (up to three close ids)."""
    known = sorted(known)
    close = difflib.get_close_matches(str(id), known, n=3, cutoff=0.4)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return f"unknown {kind} id '{id}'.{hint} Known: {', '.join(known)}"


def unknown_params_message(
    params: Iterable[str], accepted: Iterable[str], owner: str
) -> str | None:
    """The message for parameters of ``owner`` not in ``accepted`` (None when all are known)."""
    accepted = list(accepted)
    unknown = sorted(set(params) - set(accepted))
    if not unknown:
        return None
    hints = ", ".join(f"'{name}'{did_you_mean(name, accepted)}" for name in unknown)
    listed = ", ".join(f"'{name}'" for name in accepted) or "(none)"
    return f"unknown parameter(s) {hints} for {owner}; accepted: {listed}"
