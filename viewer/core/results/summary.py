"""The layer tree of a network at one input size, with its totals: what the Activations tab picks layers from.

The engine's :func:`~viewer.engine.summary.summarize` builds it from the data-flow graph (shapes only, on the
meta device); the window keeps it to list layers, show totals and size captures.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field

from viewer.core.errors import ModelError
from viewer.core.graph.dataflow import Graph, HyperValue
from viewer.core.graph.receptive import ReceptiveField

__all__ = ["LayerNode", "Summary"]


@dataclass
class LayerNode:
    """One module of the network; ``params`` and ``macs`` include everything below it (``macs`` over all calls)."""

    name: str  # qualified name ("layer1.0.conv1"); "" for the whole model
    type: str
    hyper: dict[str, HyperValue]
    output_shape: tuple[int, ...] | None  # of its first call, without the batch dimension; None if it never ran
    params_own: int
    params: int
    macs: int
    memory_bytes: int  # float32 output activations of one image (first call)
    receptive_field: ReceptiveField | None
    is_block: bool  # has children: collapsible in a tree
    children: list[LayerNode] = field(default_factory=list)
    training_only: bool = False  # e.g. GoogLeNet's auxiliary heads: not in the inference totals
    calls: int = 1

    @property
    def depth(self) -> int:
        return 0 if not self.name else self.name.count(".") + 1

    def iter_nodes(self) -> Iterator[LayerNode]:
        """This node and everything below it, in pre-order."""
        yield self
        for child in self.children:
            yield from child.iter_nodes()


@dataclass
class Summary:
    """The layer tree of a model at one input size, with its totals and the data-flow graph it came from."""

    model_name: str
    input_shape: tuple[int, int, int]
    root: LayerNode
    total_params: int  # parameters of the network that predicts (training-only heads are counted apart)
    trainable_params: int  # of those, the ones that require gradients
    macs: int  # multiply-accumulates of one forward pass at ``input_shape`` (inference mode)
    graph: Graph | None = None
    # GoogLeNet's and Inception-v3's auxiliary classifiers: built, traced and listed, never in the totals above,
    # as torchvision's num_params and torchinfo count GoogLeNet (6,624,904) and the text table prints it.
    training_only_params: int = 0
    training_only_macs: int = 0

    @property
    def gmacs(self) -> float:
        return self.macs / 1e9

    def iter_nodes(self) -> Iterator[LayerNode]:
        return self.root.iter_nodes()

    def first_convolution(self) -> str | None:
        """Name of the first convolution layer (in pre-order), or None for a network without one."""
        return next((node.name for node in self.iter_nodes() if "Conv" in node.type and not node.children), None)

    def find(self, name: str) -> LayerNode:
        """The node of qualified name ``name``; a ``ModelError`` with close names otherwise."""
        # Down the path of prefixes first ("layer1" holds "layer1.0.conv1"): a capture of every layer of a
        # ResNet-50 asks for 500 nodes, and a walk of the whole tree for each took 90 ms.
        node: LayerNode | None = self.root
        while node is not None and node.name != name:
            node = next((c for c in node.children if name == c.name or name.startswith(c.name + ".")), None)
        if node is not None:
            return node
        for node in self.iter_nodes():
            if node.name == name:
                return node
        close = difflib.get_close_matches(name, [node.name for node in self.iter_nodes()], n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ModelError(f"{self.model_name} has no layer named {name!r}.{hint}")
