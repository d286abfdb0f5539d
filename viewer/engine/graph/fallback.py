"""The graph of a model that torch.fx cannot trace: its module tree, chained in call order.

Forward hooks on a meta-device pass record every leaf module call (shape, FLOPs during the call); the calls are
chained one after another, since hooks cannot see which tensor feeds which call. Every view says so in one line
(``Graph.fallback_reason``).
"""

from __future__ import annotations

from itertools import pairwise

from torch import nn

from viewer.core.errors import ModelError
from viewer.core.graph.dataflow import Block, Graph, GraphEdge, GraphNode, Shape
from viewer.core.macs import macs_from_flops
from viewer.engine.graph.trace import hyper_parameters

__all__ = ["module_tree_graph"]


def _calls(model: nn.Module, input_shape: Shape, real: bool) -> list[tuple[str, Shape | None, int]]:
    import torch
    from torch.func import functional_call
    from torch.utils._pytree import tree_leaves
    from torch.utils.flop_counter import FlopCounterMode

    leaves = {name: module for name, module in model.named_modules() if name and next(module.children(), None) is None}
    calls: list[tuple[str, Shape | None, int]] = []
    counter = FlopCounterMode(display=False)
    started: dict[str, int] = {}
    handles = []
    for name, module in leaves.items():

        def before(_module: nn.Module, _args: object, name: str = name) -> None:
            started[name] = counter.get_total_flops()

        def after(_module: nn.Module, _args: object, output: object, name: str = name) -> None:
            tensor = next((leaf for leaf in tree_leaves(output) if isinstance(leaf, torch.Tensor)), None)
            shape = tuple(int(n) for n in tensor.shape[1:]) if tensor is not None else None
            calls.append((name, shape, macs_from_flops(counter.get_total_flops() - started.pop(name, 0))))

        handles += [module.register_forward_pre_hook(before), module.register_forward_hook(after)]
    modes = {module: module.training for module in model.modules()}
    model.eval()
    try:
        with torch.no_grad(), counter:
            if real:
                model(torch.zeros(1, *input_shape, device=next(model.parameters()).device))
            else:
                stand_ins = {
                    n: torch.empty_like(t, device="meta")
                    for n, t in [*model.named_parameters(), *model.named_buffers()]
                }
                functional_call(model, stand_ins, (torch.empty(1, *input_shape, device="meta"),))
    finally:
        for handle in handles:
            handle.remove()
        for module, was_training in modes.items():
            module.training = was_training
    return calls


def _cannot_run(model_name: str, input_shape: Shape, error: BaseException) -> ModelError:
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return ModelError(f"{model_name} cannot run on a {'x'.join(map(str, input_shape))} input: {first}")


def module_tree_graph(model: nn.Module, input_shape: Shape, model_name: str, *, reason: str) -> Graph:
    """A chain of the model's leaf-module calls; raises ``ModelError`` if the model cannot run at all."""
    has_weights = any(p.device.type != "meta" for p in model.parameters())
    try:
        calls = _calls(model, input_shape, real=False)
    except Exception as error:  # data-dependent control flow needs real values: one real forward, if it has weights
        if not has_weights:
            raise _cannot_run(model_name, input_shape, error) from error
        try:
            calls = _calls(model, input_shape, real=True)
        except Exception as real_error:
            raise _cannot_run(model_name, input_shape, real_error) from real_error
    modules = dict(model.named_modules())
    nodes = [GraphNode("input", "input", "Input", None, (), 1, {}, input_shape, 0, 0, None)]
    counts: dict[str, int] = {}
    for path, shape, macs in calls:
        call = counts.get(path, 0)
        counts[path] = call + 1
        parts = path.split(".")
        ancestors = tuple(".".join(parts[:i]) for i in range(1, len(parts)))
        params = sum(p.numel() for p in modules[path].parameters()) if call == 0 else 0
        nodes.append(GraphNode(path if call == 0 else f"{path}_{call}", "module", type(modules[path]).__name__,
                               path, ancestors, call + 1, hyper_parameters(modules[path]), shape, params, int(macs),
                               None))  # fmt: skip
    edges = [GraphEdge(a.id, b.id, a.shape) for a, b in pairwise(nodes)]
    members: dict[str, list[GraphNode]] = {}
    for node in nodes:
        for path in node.blocks:
            members.setdefault(path, []).append(node)
    blocks = {
        path: Block(path, type(modules[path]).__name__, path.rpartition(".")[0],
                    tuple(child for child in members if child.rpartition(".")[0] == path),
                    tuple(node.id for node in inside), sum(n.params for n in inside), sum(n.macs for n in inside))
        for path, inside in members.items()
    }  # fmt: skip
    line = f"Data flow unavailable: torch.fx cannot trace {model_name} ({reason}); showing its modules in call order."
    return Graph(
        model_name=model_name, input_shape=input_shape, nodes=nodes, edges=edges, blocks=blocks,
        total_params=sum(node.params for node in nodes), macs=sum(node.macs for node in nodes), notes=[line],
        traced=False, fallback_reason=reason,
        default_expanded=frozenset(path for path, block in blocks.items() if block.container),
    )  # fmt: skip
