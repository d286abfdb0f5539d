"""The naive Inception module (Szegedy et al. 2014, Fig. 2a) beside the real one (Fig. 2b), from its channel counts.

The naive form applies each branch's convolution straight to the module's input, and its pooling branch passes
all the input's channels on; the real module puts 1×1 "dimension reductions" before the 3×3 and 5×5 and a 1×1
projection after the pooling. Both are counted here from the real module's convolutions as the data-flow graph
records them (kernels, channels, output size): weights only, as torchvision's convolutions have no bias, and one
multiply-accumulate per weight and output position. Pure arithmetic, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

from viewer.core.graph.dataflow import Graph, GraphNode

__all__ = ["BranchCounts", "InceptionComparison", "inception_blocks", "inception_comparison"]


@dataclass(frozen=True)
class BranchCounts:
    """One branch in both forms: what it does, its output channels, weights and MACs."""

    naive: str  # "3×3, 128" or "3×3 max pool"
    real: str  # "1×1, 96 → 3×3, 128"
    naive_channels: int
    real_channels: int
    naive_params: int
    real_params: int
    naive_macs: int
    real_macs: int


@dataclass(frozen=True)
class InceptionComparison:
    """Naive (a) against reduced (b) for one module, and the real module's own totals (BatchNorm included)."""

    block: str
    in_channels: int
    height: int
    width: int
    branches: tuple[BranchCounts, ...]
    module_params: int  # the graph's count of the module (convolutions and BatchNorms)
    module_macs: int

    @property
    def naive_params(self) -> int:
        return sum(branch.naive_params for branch in self.branches)

    @property
    def real_params(self) -> int:
        return sum(branch.real_params for branch in self.branches)

    @property
    def naive_macs(self) -> int:
        return sum(branch.naive_macs for branch in self.branches)

    @property
    def real_macs(self) -> int:
        return sum(branch.real_macs for branch in self.branches)

    @property
    def naive_channels(self) -> int:
        return sum(branch.naive_channels for branch in self.branches)

    @property
    def real_channels(self) -> int:
        return sum(branch.real_channels for branch in self.branches)

    @property
    def params_ratio(self) -> float:
        return self.naive_params / self.real_params if self.real_params else float("nan")

    @property
    def macs_ratio(self) -> float:
        return self.naive_macs / self.real_macs if self.real_macs else float("nan")


def inception_blocks(graph: Graph) -> list[str]:
    """The Inception modules of ``graph`` (GoogLeNet's inception3a … 5b), in execution order."""
    return [name for name, block in graph.blocks.items() if block.type == "Inception" and not block.training_only]


def _kernel(node: GraphNode) -> int:
    kernel = node.hyper.get("kernel_size", 1)
    first = kernel[0] if isinstance(kernel, tuple) else kernel
    return int(first) if isinstance(first, (int, float)) else 1


def _weights(node: GraphNode) -> int:
    groups = node.hyper.get("groups", 1)
    return _kernel(node) ** 2 * int(node.hyper["in_channels"]) * int(node.hyper["out_channels"]) // int(groups)  # type: ignore[arg-type]


def inception_comparison(graph: Graph, name: str) -> InceptionComparison:
    """Naive (a) against the real module (b) for Inception block ``name`` of ``graph``.

    Raises:
        KeyError: ``name`` is not an Inception block of ``graph``.
    """
    block = graph.blocks[name]
    if block.type != "Inception":
        raise KeyError(f"{name} is not an Inception module")
    first_conv = next(graph.node(n) for n in block.nodes if graph.node(n).type == "Conv2d")
    in_channels = int(first_conv.hyper["in_channels"])  # type: ignore[arg-type]
    out = graph.node(block.nodes[-1]).shape or (0, 0, 0)
    height, width = int(out[-2]), int(out[-1])
    branches = []
    for child in block.children:
        layers = [graph.node(n) for n in graph.blocks[child].nodes]
        convs = [node for node in layers if node.type == "Conv2d"]
        pools = [node for node in layers if "Pool" in node.type]
        real = " → ".join(
            f"{_kernel(node)}×{_kernel(node)} {node.type[:3].lower()} pool" if "Pool" in node.type
            else f"{_kernel(node)}×{_kernel(node)}, {node.hyper['out_channels']}"
            for node in layers if node.type == "Conv2d" or "Pool" in node.type
        )  # fmt: skip
        real_params = sum(_weights(node) for node in convs)
        real_macs = sum(_weights(node) * _positions(node) for node in convs)
        real_channels = int(convs[-1].hyper["out_channels"]) if convs else in_channels  # type: ignore[arg-type]
        if layers and "Pool" in layers[0].type:
            # The naive pooling branch: the pool alone, passing every input channel on (no multiply-adds).
            pool = pools[0]
            naive, naive_channels, naive_params, naive_macs = (
                f"{_kernel(pool)}×{_kernel(pool)} {pool.type[:3].lower()} pool", in_channels, 0, 0)  # fmt: skip
        else:
            last = convs[-1]
            kernel, channels = _kernel(last), int(last.hyper["out_channels"])  # type: ignore[arg-type]
            naive, naive_channels = f"{kernel}×{kernel}, {channels}", channels
            naive_params = kernel * kernel * in_channels * channels
            naive_macs = naive_params * height * width
        branches.append(BranchCounts(naive, real, naive_channels, real_channels, naive_params, real_params,
                                     naive_macs, real_macs))  # fmt: skip
    return InceptionComparison(name, in_channels, height, width, tuple(branches), block.params, block.macs)


def _positions(node: GraphNode) -> int:
    shape = node.shape or (0, 0, 0)
    return int(shape[-2]) * int(shape[-1])
