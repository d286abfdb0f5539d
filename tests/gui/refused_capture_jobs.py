"""The engine's job table with one capture refused for its budget (``refused_capture_jobs:JOBS``).

For test_main_window's refused capture under an engine process: the refusal must happen where the job runs. The
in-thread runner's test patches :func:`refusing_capture` in with ``monkeypatch``; an engine gets it by loading
this table, whose ``JOBS`` (looked up only by the engine) patches its ``viewer.engine.activations`` first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

TABLE = "refused_capture_jobs:JOBS"
REFUSED_LAYER = "features.3"
REFUSAL = "Capturing features.3 needs about 9,000 MB, over the 2,048 MB budget."


def refusing_capture(real_capture: Callable[..., Any]) -> Callable[..., Any]:
    """``capture`` refused for ``REFUSED_LAYER`` (the budget refusal, without a huge model)."""
    from viewer.core.errors import BudgetError

    def capture(loaded: Any, tensor: Any, layers: Any, **kwargs: Any) -> Any:
        if REFUSED_LAYER in layers:
            raise BudgetError(REFUSAL)
        return real_capture(loaded, tensor, layers, **kwargs)

    return capture


def __getattr__(name: str) -> Mapping[str, Callable[..., Any]]:
    if name != "JOBS":
        raise AttributeError(name)
    from viewer.engine import activations
    from viewer.engine.jobs import JOBS

    activations.capture = refusing_capture(activations.capture)  # type: ignore[assignment]
    globals()["JOBS"] = JOBS  # patched once
    return JOBS
