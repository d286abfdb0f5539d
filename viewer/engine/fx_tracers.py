"""torch.fx traces that leave nothing holding the traced model once they are done.

``torch.fx.Tracer.trace`` defines a recursive closure (``collect_tensor_attrs``) over the tracer, so the
function and its cell form a reference cycle that keeps the tracer, and with it the traced module (``root``) and
every tensor of it (``tensor_attrs``), after the trace returns. Only the cyclic collector frees that cycle, and a
trace allocates so much that the tracer has reached the oldest generation by then: the model outlives its last
reference until a full collection. The job runner's model cache (``viewer.engine.jobs.models``) then has to run one when
it evicts a traced model (a VGG holds gigabytes), and a full collection holds the GIL for 50-190 ms while the
window waits (``viewer bench``: the longest stalls of the 200-switch soak, and in the way of the top-k of a newly
picked network). Emptying the tracer once its caller is done leaves the cycle holding nothing heavy, so the
model is freed by reference counting the moment nothing else holds it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from torch import fx, nn

__all__ = ["forget_tracer", "forgetting_feature_extractor_tracers", "symbolic_trace"]

TracerT = TypeVar("TracerT", bound=fx.Tracer)


def forget_tracer(tracer: fx.Tracer) -> None:
    """Drop everything ``tracer`` holds (the traced module, its tensors, the graph); call when done with it."""
    vars(tracer).clear()


def symbolic_trace(model: nn.Module) -> fx.GraphModule:
    """``torch.fx.symbolic_trace(model)``, with the tracer forgotten afterwards (see the module docstring)."""
    tracer = fx.Tracer()
    try:
        graph = tracer.trace(model)
        return fx.GraphModule(tracer.root, graph, type(model).__name__)
    finally:
        forget_tracer(tracer)


_PATCHING = threading.RLock()


@contextmanager
def forgetting_feature_extractor_tracers() -> Iterator[None]:
    """The tracers that ``torchvision``'s ``create_feature_extractor`` makes inside this block (on this thread)
    are forgotten when it ends: torchvision keeps no tracer of its own, but builds two and leaves them to the
    cycle above. Its ``NodePathTracer`` is swapped, for the block, for a subclass that only records them."""
    from torchvision.models import feature_extraction

    made: list[fx.Tracer] = []
    thread = threading.get_ident()
    with _PATCHING:
        original = feature_extraction.NodePathTracer
        feature_extraction.NodePathTracer = _recording(original, made, thread)
        try:
            yield
        finally:
            feature_extraction.NodePathTracer = original
            for tracer in made:
                forget_tracer(tracer)


def _recording(base: type[TracerT], made: list[fx.Tracer], thread: int) -> Callable[..., TracerT]:
    class Recording(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            if threading.get_ident() == thread:  # another thread's tracer is its own business
                made.append(self)

    # What fx records as the graph's tracer class (for pickling a GraphModule): torchvision's own.
    Recording.__name__, Recording.__qualname__, Recording.__module__ = base.__name__, base.__qualname__, base.__module__
    return Recording
