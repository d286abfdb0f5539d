"""What the lecture says about a graph that the trace cannot: which ResNet variant, paper vs torchvision, aux heads.

Each note is read off the real modules (strides, kernel sizes, groups), never off the model's name, so that a
custom network built from the same blocks gets the same notes.
"""

from __future__ import annotations

from dataclasses import replace

from torch import nn

from viewer.core.graph.dataflow import Block, Graph, GraphNode

__all__ = ["alexnet_note", "annotate", "googlenet_alexnet_note", "googlenet_batchnorm_note", "resnet_variant"]

_AUX_NOTE = ("Auxiliary classifier: runs only in training (its loss is added with weight 0.3) and is not counted "
             "in the inference totals; torchvision's pretrained GoogLeNet/Inception weights do not train it. "
             "Predictions use the main head only.")  # fmt: skip
_INCEPTION_NOTE = ("torchvision's GoogLeNet uses a 3×3 convolution in branch3, where the paper "
                   "(Szegedy et al., 2014) has a 5×5.")  # fmt: skip


def resnet_variant(model: nn.Module) -> str:
    """ "" for a non-ResNet; else which ResNet this is, from where the first block of stage 2 puts its stride."""
    first = getattr(getattr(model, "layer2", None), "0", None)
    if first is None or not hasattr(first, "conv1") or not hasattr(first, "conv2"):
        return ""
    if not hasattr(first, "conv3"):
        return "He et al. basic blocks (the same in torchvision and the paper)"
    if getattr(first.conv2, "groups", 1) > 1:
        # Xie et al. (2016, section 4) put the stride on the 3×3 of each stage's first block, as torchvision does:
        # the v1/v1.5 question of ResNet does not arise.
        return ("ResNeXt as in the paper (Xie et al., 2016): stride 2 on the grouped 3×3 convolution of each "
                "stage's first block, as torchvision builds it")  # fmt: skip
    if tuple(first.conv1.stride) == (2, 2):
        return ("He et al. original (v1), the paper's Table 1: stride 2 on the first 1×1 convolution of each stage's "
                "first block; torchvision's pretrained weights were trained for v1.5 (stride on the 3×3)")  # fmt: skip
    return ("torchvision v1.5: stride 2 on the 3×3 convolution of each stage's first block; He et al.'s original "
            "(v1) puts it on the first 1×1 and costs less (resnet50_v1, resnet101_v1, resnet152_v1)")  # fmt: skip


def alexnet_note(model: nn.Module) -> str:
    """ "" unless ``model`` is an AlexNet without local response normalisation (torchvision's): then how it
    differs from the 2012 paper, with its filter counts read from its convolutions."""
    convolutions = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if len(convolutions) != 5 or convolutions[0].kernel_size != (11, 11) or convolutions[0].stride != (4, 4):
        return ""
    if any(isinstance(m, nn.LocalResponseNorm) for m in model.modules()):
        return ""
    filters = ", ".join(str(conv.out_channels) for conv in convolutions)
    return (f"torchvision's AlexNet is the single-GPU form (Krizhevsky, One weird trick, 2014): {filters} filters "
            "and no local response normalisation; the 2012 paper has 96, 256, 384, 384, 256 split over two GPUs, "
            "with LRN after conv1 and conv2.")  # fmt: skip


def googlenet_batchnorm_note(model: nn.Module) -> str:
    """ "" unless ``model`` is a GoogLeNet with BatchNorm (torchvision's): then that the paper has none."""
    if type(model).__name__ != "GoogLeNet" or not any(isinstance(m, nn.BatchNorm2d) for m in model.modules()):
        return ""
    return (
        "torchvision's GoogLeNet puts a BatchNorm after every convolution and has no local response "
        "normalisation; the paper (Szegedy et al., 2014) predates BatchNorm and uses LRN in its stem."
    )


def _grouped_note(node: GraphNode) -> str:
    groups = node.hyper.get("groups")
    if node.type != "Conv2d" or not isinstance(groups, int) or groups <= 1:
        return node.note
    channels = node.hyper.get("in_channels")
    if groups == channels:
        return f"Depthwise: {groups} groups of one channel each."
    width = channels // groups if isinstance(channels, int) else "?"
    return f"{groups} groups: {groups} parallel pathways, each {width} channels wide (expand groups to draw them)."


def _node_note(node: GraphNode, inception_branch3: set[str]) -> str:
    if node.module in inception_branch3 and node.hyper.get("kernel_size") == (3, 3):
        return "3×3 in torchvision; 5×5 in the paper."
    if node.type == "ConvolutionizedLinear":
        kernel = node.hyper.get("kernel_size")
        size = "×".join(map(str, kernel)) if isinstance(kernel, tuple) else "1×1"
        return f"A fully-connected layer computed as a {size} convolution: one output per position."
    return _grouped_note(node)


def _block_note(block: Block) -> str:
    if block.training_only:
        return _AUX_NOTE
    if block.type == "Inception":
        return _INCEPTION_NOTE
    return block.note


def googlenet_alexnet_note(model: nn.Module, params: int) -> str:
    """ "" unless ``model`` is a GoogLeNet: then its ``params`` (inference) against AlexNet's as built here, beside
    the lecture's "12 times fewer" and why the two ratios differ."""
    if type(model).__name__ != "GoogLeNet" or not params:
        return ""
    from viewer.engine.models.meta import meta_model  # the registry's AlexNet on the meta device: no memory, no weights

    alexnet = sum(parameter.numel() for parameter in meta_model("alexnet").parameters())
    return (f"Parameters: {params / 1e6:.2f}M, {alexnet / params:.1f}× fewer than AlexNet's {alexnet / 1e6:.2f}M as "
            "built here, where the lecture says 12×: torchvision's GoogLeNet has BatchNorm and a 1000-way fc of "
            "1024 inputs, its AlexNet is the single-GPU form, and the papers count their own versions.")  # fmt: skip


def annotate(graph: Graph, model: nn.Module) -> Graph:
    """``graph`` with the lecture's notes on its nodes, blocks and as a whole, and its ResNet variant."""
    inception_branch3 = {
        f"{name}.branch3.1.conv"
        for name, block in graph.blocks.items()
        if block.type == "Inception" and type(model).__name__ == "GoogLeNet"
    }
    nodes = [replace(node, note=_node_note(node, inception_branch3)) for node in graph.nodes]
    blocks = {name: replace(block, note=_block_note(block)) for name, block in graph.blocks.items()}
    notes = list(graph.notes)
    heads = [block for block in blocks.values() if block.training_only and not _inside_training(block, blocks)]
    if heads:
        where = ", ".join(f"{block.name} after {_attached_to(graph, block)}" for block in heads)
        notes.append(f"Auxiliary classifiers ({where}): training only, {sum(b.params for b in heads):,} parameters "
                     f"and {sum(b.macs for b in heads) / 1e6:.1f} MMACs not in the totals; torchvision's pretrained "
                     "weights do not train them.")  # fmt: skip
    if inception_branch3:
        notes.append(_INCEPTION_NOTE)
    notes.extend(note for note in (googlenet_batchnorm_note(model), alexnet_note(model),
                                   googlenet_alexnet_note(model, graph.total_params)) if note)  # fmt: skip
    variant = resnet_variant(model)
    return Graph(
        model_name=graph.model_name, input_shape=graph.input_shape, nodes=nodes, edges=graph.edges, blocks=blocks,
        total_params=graph.total_params, macs=graph.macs, notes=notes, traced=graph.traced,
        fallback_reason=graph.fallback_reason, default_expanded=graph.default_expanded, variant=variant,
    )  # fmt: skip


def _inside_training(block: Block, blocks: dict[str, Block]) -> bool:
    return bool(block.parent) and blocks[block.parent].training_only


def _attached_to(graph: Graph, block: Block) -> str:
    """The main-path node that feeds a training-only head (for GoogLeNet: inception4a's or 4d's concatenation)."""
    inside = set(block.nodes)
    for edge in graph.edges:
        if edge.dst in inside and edge.src not in inside:
            source = graph.node(edge.src)
            return source.block or source.id
    return "?"
