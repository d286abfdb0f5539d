"""The architecture graph: trace + layout of a deep network fully expanded, against one forward pass of it.

What the Architecture tab does when a user opens every block of ResNet-152 (516 boxes): ``build_graph`` (an fx
trace run on the meta device, FLOPs and receptive fields per call) then ``collapse`` + ``layout_view`` (ranks,
order, coordinates, routes, frames). The reference is one 224×224 forward pass of the same network with random
weights on the CPU, measured in the same run: the drawing should cost at most a few forward passes.
"""

from __future__ import annotations

import torch

from viewer.bench.common import Row, best_of

__all__ = ["GOAL", "MODEL", "bench_graph"]

MODEL = "resnet152"
GOAL = 5.0


def bench_graph(*, quick: bool = False, device: str = "cpu") -> list[Row]:
    """One row: (graph + layout) / forward. The forward runs on the CPU whatever ``device`` is (the drawing does)."""
    from viewer.core.graph.dataflow import collapse, expansion
    from viewer.engine.graph.build import build_graph
    from viewer.engine.layout.layered import layout_view
    from viewer.engine.models.registry import build_model, get_spec

    spec = get_spec(MODEL)
    repeats = 2 if quick else 5
    model = build_model(MODEL)
    batch = torch.randn(1, *spec.input.shape)

    def forward() -> None:
        with torch.inference_mode():
            model(batch)

    graphs = []

    def trace() -> None:
        graphs.append(build_graph(MODEL))

    def layout() -> None:
        graph = graphs[-1]
        layout_view(collapse(graph, expansion(graph, "all")))

    reference = best_of(forward, repeats)
    traced = best_of(trace, repeats)
    drawn = best_of(layout, repeats)
    ratio = (traced + drawn) / reference
    boxes = len(collapse(graphs[-1], expansion(graphs[-1], "all")).nodes)
    case = f"{MODEL} fully expanded ({boxes} boxes)"
    ours = f"graph {traced * 1e3:.0f} ms + layout {drawn * 1e3:.0f} ms"
    return [Row("graph", case, ours, f"forward {reference * 1e3:.0f} ms (cpu, 224²)", ratio, f"≤{GOAL:g}",
                ratio <= GOAL)]  # fmt: skip
