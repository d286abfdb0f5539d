"""The data-flow graph of a network, and its partly collapsed views (plain Python: no torch, no Qt).

The engine (``viewer.engine.graph.build``) fills a :class:`Graph` from a torch.fx trace: a :class:`GraphNode` per call
(a module called three times is three nodes), a :class:`GraphEdge` per tensor, and the module hierarchy as
:class:`Block` s. Everything after that is plain Python and lives here, so that the GUI, the CLI and the layout
share it without torch: collapsing blocks (:func:`collapse`), the lecture's default level (``Graph.default_expanded``)
and the ``--expand`` spec (:func:`expansion`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from viewer.core.errors import ModelError
from viewer.core.graph.receptive import ReceptiveField, larger_field

__all__ = [
    "JOIN_TYPES",
    "Block",
    "Graph",
    "GraphEdge",
    "GraphNode",
    "GraphView",
    "HyperValue",
    "Shape",
    "ViewFrame",
    "ViewNode",
    "collapse",
    "expansion",
    "format_shape",
]

Shape = tuple[int, ...]
HyperValue = bool | int | float | str | tuple[int | float | str | bool, ...]

# Functions that merge tensors: drawn as small round joins (the lecture's ⊕ and concatenation).
JOIN_TYPES = frozenset({"add", "iadd", "cat", "concat", "mul", "imul", "sub", "stack", "matmul"})
CONTAINER_TYPES = frozenset({"Sequential", "ModuleList", "ModuleDict"})


def format_shape(shape: Shape | None) -> str:
    """``64×56×56``; "—" when unknown, "scalar" for a 0-d tensor."""
    return "—" if shape is None else "×".join(map(str, shape)) or "scalar"


@dataclass(frozen=True)
class GraphNode:
    """One call in the forward pass: a module call, a tensor function or method, or the input.

    ``id`` follows torchvision's feature-extraction names: the module path for a module's first call
    (``layer1.0.relu``), ``_1``, ``_2`` for later calls, and ``<block>.<function>`` for functions (``layer1.0.add``).
    ``params`` counts a module's parameters on its first call only, so that summing nodes never counts a
    shared module twice; ``macs`` are those of this call (FLOPs / 2, torchvision's ``_ops`` convention).
    """

    id: str
    op: str  # "input", "module", "function" or "method"
    type: str  # module class ("Conv2d") or function name ("add", "cat", "flatten")
    module: str | None  # module path of a module call
    blocks: tuple[str, ...]  # enclosing blocks, outermost first: ("layer1", "layer1.0")
    call: int  # 1-based call number of ``module`` (1 for functions and the input)
    hyper: dict[str, HyperValue]
    shape: Shape | None  # output shape without the batch dimension
    params: int
    macs: int
    receptive_field: ReceptiveField | None
    training_only: bool = False
    note: str = ""

    @property
    def block(self) -> str:
        """The innermost block that contains this node ("" for the model itself)."""
        return self.blocks[-1] if self.blocks else ""

    @property
    def is_join(self) -> bool:
        return self.op in ("function", "method") and self.type in JOIN_TYPES

    @property
    def label(self) -> str:
        """The node's name inside its block: ``conv1``, ``relu_1``, ``add``."""
        prefix = f"{self.block}."
        return self.id[len(prefix) :] if self.block and self.id.startswith(prefix) else self.id


@dataclass(frozen=True)
class GraphEdge:
    """One tensor from ``src`` to ``dst`` (node ids, or block names in a view)."""

    src: str
    dst: str
    shape: Shape | None


@dataclass(frozen=True)
class Block:
    """A module that contains calls: collapsible into one box that keeps its external edges and totals."""

    name: str  # module path ("layer1.0")
    type: str  # module class ("Bottleneck")
    parent: str  # enclosing block ("" for the model)
    children: tuple[str, ...]  # direct sub-blocks, in execution order
    nodes: tuple[str, ...]  # every node inside, at any depth, in execution order
    params: int
    macs: int
    training_only: bool = False
    note: str = ""

    @property
    def container(self) -> bool:
        """A plain ``Sequential``/``ModuleList``: only groups layers, so it is expanded by default."""
        return self.type in CONTAINER_TYPES

    @property
    def depth(self) -> int:
        return self.name.count(".") + 1


@dataclass
class Graph:
    """The whole network: nodes in execution order, edges, blocks, inference totals and notes."""

    model_name: str
    input_shape: Shape
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    blocks: dict[str, Block]
    total_params: int  # parameters used at inference (training-only heads are counted apart)
    macs: int  # multiply-accumulates of one inference forward pass
    notes: list[str] = field(default_factory=list)
    traced: bool = True  # False: fx could not trace it; the nodes are the module tree, chained in call order
    fallback_reason: str = ""
    default_expanded: frozenset[str] = frozenset()
    variant: str = ""  # e.g. "torchvision v1.5 (stride on the 3×3)" for ResNets: which costs these are
    # The engine's name for this graph while it keeps it: a layout asks for it by name instead of sending the
    # graph back (encoding a ResNet-50's graph on the GUI thread took 60 ms, the longest stall of a switch).
    key: str = field(default="", compare=False)

    @property
    def _by_id(self) -> dict[str, GraphNode]:
        """The nodes by id, made at the first look-up: not in ``__post_init__``, which a graph rebuilt from the
        wire never runs, and not a cached_property, which the wire would send along with the nodes."""
        index: dict[str, GraphNode] | None = self.__dict__.get("_node_index")
        if index is None:
            index = self.__dict__["_node_index"] = {node.id: node for node in self.nodes}
        return index

    @property
    def gmacs(self) -> float:
        return self.macs / 1e9

    @property
    def training_params(self) -> int:
        """Parameters of the training-only heads (GoogLeNet's auxiliary classifiers)."""
        return sum(node.params for node in self.nodes if node.training_only)

    @property
    def training_macs(self) -> int:
        return sum(node.macs for node in self.nodes if node.training_only)

    def node(self, node_id: str) -> GraphNode:
        try:
            return self._by_id[node_id]
        except KeyError:
            raise ModelError(f"{self.model_name} has no node {node_id!r}.{_hint(node_id, self._by_id)}") from None

    def block(self, name: str) -> Block:
        """The block ``name``; a ``ModelError`` naming close matches otherwise."""
        try:
            return self.blocks[name]
        except KeyError:
            raise ModelError(f"{self.model_name} has no block named {name!r}.{_hint(name, self.blocks)}") from None

    def calls_of(self, module: str) -> list[GraphNode]:
        """Every call of module ``module``, in order."""
        return [node for node in self.nodes if node.module == module]

    def predecessors(self, node_id: str) -> list[str]:
        return [edge.src for edge in self.edges if edge.dst == node_id]

    def successors(self, node_id: str) -> list[str]:
        return [edge.dst for edge in self.edges if edge.src == node_id]

    def iter_rows(self) -> Iterator[tuple[int, GraphNode | Block]]:
        """The summary table in execution order: (depth, block) when a block is entered, (depth, node) per call."""
        open_blocks: list[str] = []
        for node in self.nodes:
            while open_blocks and open_blocks[-1] not in node.blocks:
                open_blocks.pop()
            for name in node.blocks[len(open_blocks) :]:
                yield len(open_blocks), self.blocks[name]
                open_blocks.append(name)
            yield len(open_blocks), node


def _hint(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    return f" Did you mean {', '.join(close)}?" if close else ""


def expansion(graph: Graph, spec: str | Iterable[str] | None = None) -> frozenset[str]:
    """Which blocks are expanded for ``spec``: None (the lecture's default level), "all", a depth, or block names.

    A depth N expands every block of depth ≤ N (``0``: top-level blocks collapsed). Naming a block expands it, its
    enclosing blocks and the plain containers inside it (Inception's ``branch2`` Sequential), on top of the default.
    Unknown names raise a ``ModelError`` with close matches.
    """
    if spec is None:
        return graph.default_expanded
    if isinstance(spec, str):
        text = spec.strip()
        if text == "all":
            return frozenset(graph.blocks)
        if text.isdigit():
            depth = int(text)
            return frozenset(name for name, block in graph.blocks.items() if block.depth <= depth)
        names = [part.strip() for part in text.split(",") if part.strip()]
    else:
        names = list(spec)
    expanded = set(graph.default_expanded)
    for name in names:
        block = graph.block(name)
        expanded.add(name)
        parent = block.parent
        while parent:
            expanded.add(parent)
            parent = graph.blocks[parent].parent
        stack = list(block.children)
        while stack:
            child = graph.blocks[stack.pop()]
            if child.container:
                expanded.add(child.name)
                stack.extend(child.children)
    return frozenset(expanded)


@dataclass(frozen=True)
class ViewNode:
    """A box of a partly collapsed graph: one call, or a collapsed block standing for all its calls."""

    id: str  # node id, or block name for a collapsed block
    kind: str  # "input", "node", "join" or "block"
    type: str
    label: str
    parent: str  # the expanded block it is drawn inside ("" for the model)
    shape: Shape | None  # output shape (the last one leaving a block)
    in_shapes: tuple[Shape | None, ...]
    params: int
    macs: int
    receptive_field: ReceptiveField | None
    hyper: dict[str, HyperValue]
    training_only: bool
    members: tuple[str, ...]  # node ids it stands for
    note: str = ""
    module: str | None = None  # module path (a module call's module, or the block), for "show in Activations"

    @property
    def expandable(self) -> bool:
        return self.kind == "block"


@dataclass(frozen=True)
class ViewFrame:
    """An expanded block drawn as a labelled frame around its members (ResNet's stages, an Inception module)."""

    name: str
    type: str
    parent: str
    members: tuple[str, ...]  # view ids at any depth inside it
    params: int
    macs: int
    training_only: bool = False


@dataclass
class GraphView:
    """What is drawn for one set of expanded blocks: boxes, edges between them, frames and notes."""

    model_name: str
    input_shape: Shape
    nodes: list[ViewNode]
    edges: list[GraphEdge]
    frames: list[ViewFrame]
    expanded: frozenset[str]
    notes: list[str]
    total_params: int
    macs: int
    traced: bool = True
    variant: str = ""

    def node(self, view_id: str) -> ViewNode:
        for node in self.nodes:
            if node.id == view_id:
                return node
        raise ModelError(f"{self.model_name}: nothing named {view_id!r} is drawn.")

    def view_id_of(self, node_id: str) -> str | None:
        """The box that shows graph node ``node_id`` (itself, or the collapsed block around it)."""
        for node in self.nodes:
            if node_id in node.members:
                return node.id
        return None


def _short_name(graph: Graph, name: str, blocks: tuple[str, ...]) -> str:
    """``name`` relative to its nearest enclosing block that is not a plain container (``downsample.0``)."""
    for block in reversed(blocks):
        if block != name and not graph.blocks[block].container and name.startswith(f"{block}."):
            return name[len(block) + 1 :]
    return name


def _block_path(graph: Graph, name: str) -> tuple[str, ...]:
    path = []
    parent = graph.blocks[name].parent
    while parent:
        path.append(parent)
        parent = graph.blocks[parent].parent
    return tuple(reversed(path))


def _representative(node: GraphNode, expanded: frozenset[str]) -> str:
    for block in node.blocks:
        if block not in expanded:
            return block
    return node.id


def collapse(graph: Graph, expanded: frozenset[str] | set[str] | None = None) -> GraphView:
    """The graph with every block not in ``expanded`` drawn as one box (default: the lecture's level).

    A collapsed block keeps its external edges (deduplicated), its input and output shapes and its totals.
    """
    expanded = graph.default_expanded if expanded is None else frozenset(expanded)
    rep = {node.id: _representative(node, expanded) for node in graph.nodes}
    members: dict[str, list[GraphNode]] = {}
    for node in graph.nodes:
        members.setdefault(rep[node.id], []).append(node)
    edges: list[GraphEdge] = []
    seen: set[tuple[str, str]] = set()
    in_shapes: dict[str, list[Shape | None]] = {}
    out_shape: dict[str, Shape | None] = {}
    for edge in graph.edges:
        src, dst = rep[edge.src], rep[edge.dst]
        if src == dst:
            continue
        out_shape[src] = edge.shape  # the last edge leaving a block carries its output
        if (src, dst) in seen:
            continue
        seen.add((src, dst))
        edges.append(GraphEdge(src, dst, edge.shape))
        in_shapes.setdefault(dst, []).append(edge.shape)
    nodes = []
    for view_id, calls in members.items():
        if view_id in graph.blocks:
            block = graph.blocks[view_id]
            field_ = None
            for call in calls:
                field_ = larger_field(field_, call.receptive_field) if call.receptive_field else field_
            last = calls[-1]
            nodes.append(ViewNode(
                id=view_id, kind="block", type=block.type,
                label=_short_name(graph, view_id, _block_path(graph, view_id)),
                parent=block.parent,
                shape=out_shape.get(view_id, last.shape), in_shapes=tuple(in_shapes.get(view_id, ())),
                params=block.params, macs=block.macs, receptive_field=last.receptive_field or field_,
                hyper=_block_hyper(calls), training_only=block.training_only,
                members=tuple(call.id for call in calls), note=block.note, module=view_id,
            ))  # fmt: skip
        else:
            node = calls[0]
            kind = "input" if node.op == "input" else "join" if node.is_join else "node"
            nodes.append(ViewNode(
                id=node.id, kind=kind, type=node.type, label=_short_name(graph, node.id, node.blocks),
                parent=node.block, shape=node.shape, in_shapes=tuple(in_shapes.get(node.id, ())),
                params=node.params, macs=node.macs, receptive_field=node.receptive_field, hyper=node.hyper,
                training_only=node.training_only, members=(node.id,), note=node.note,
                module=node.module if node.module else node.id,
            ))  # fmt: skip
    frames = _frames(graph, expanded, rep)
    return GraphView(
        model_name=graph.model_name, input_shape=graph.input_shape, nodes=nodes, edges=edges, frames=frames,
        expanded=expanded, notes=list(graph.notes), total_params=graph.total_params, macs=graph.macs,
        traced=graph.traced, variant=graph.variant,
    )  # fmt: skip


# What a collapsed block that wraps one convolution (GoogLeNet's BasicConv2d, a conv + BN + ReLU) shows of it: the
# lecture draws such a box as its convolution ("3×3", "1×1", "7×7/2"), not as a class name alone.
_WRAPPED_CONV_KEYS = ("kernel_size", "stride", "in_channels", "out_channels")


def _block_hyper(calls: list[GraphNode]) -> dict[str, HyperValue]:
    """What a collapsed block's box says about its inside: its calls' count, the kernel, stride and channels of
    the one convolution it wraps, and the groups of a grouped conv."""
    hyper: dict[str, HyperValue] = {"calls": len(calls)}
    convolutions = [call for call in calls if call.type == "Conv2d"]
    if len(convolutions) == 1:
        hyper.update({key: convolutions[0].hyper[key] for key in _WRAPPED_CONV_KEYS if key in convolutions[0].hyper})
    groups = [call.hyper.get("groups") for call in convolutions]
    grouped = [g for g in groups if isinstance(g, int) and g > 1]
    if grouped:
        hyper["groups"] = max(grouped)
    return hyper


def _frames(graph: Graph, expanded: frozenset[str], rep: dict[str, str]) -> list[ViewFrame]:
    frames = []
    for name in expanded:
        block = graph.blocks.get(name)
        if block is None or any(parent not in expanded for parent in _ancestors(graph, name)):
            continue
        inside = tuple(dict.fromkeys(rep[node_id] for node_id in block.nodes))
        frames.append(ViewFrame(name, block.type, block.parent, inside, block.params, block.macs,
                                block.training_only))  # fmt: skip
    order = {node.id: index for index, node in enumerate(graph.nodes)}
    frames.sort(key=lambda frame: (frame.name.count("."), order.get(graph.blocks[frame.name].nodes[0], 0)))
    return frames


def _ancestors(graph: Graph, name: str) -> Iterator[str]:
    parent = graph.blocks[name].parent
    while parent:
        yield parent
        parent = graph.blocks[parent].parent
