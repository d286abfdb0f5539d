"""ResNeXt's 32 pathways (the Architecture tab's "expand groups" drawing) compute what the grouped block computes.

``viewer.core.graph.groups.expand_groups`` draws a block's grouped convolution as ``g`` pathways of
1×1 → 3×3 → 1×1 merged by a sum (Xie et al. 2016, Fig. 3a ≡ 3c); the engine has no per-pathway weights, so this
test builds each drawn pathway as real layers, with the shapes the drawing gives them and the grouped block's own
weights sliced per group, and checks that their sum is the block's residual branch on a random input.
"""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from viewer.core.graph.dataflow import GraphNode
from viewer.core.graph.groups import expand_groups
from viewer.engine.graph.build import graph_of_name

BLOCK = "layer1.1"  # 256 → 128 (32 groups of 4) → 256, identity shortcut


def _layer(node: GraphNode) -> nn.Module:
    """A fresh layer of the drawn node's type and hyper-parameters."""
    hyper = node.hyper
    if node.type == "Conv2d":
        return nn.Conv2d(
            int(hyper["in_channels"]),
            int(hyper["out_channels"]),
            hyper["kernel_size"],
            stride=hyper["stride"],
            padding=hyper["padding"],
            dilation=hyper["dilation"],
            groups=int(hyper["groups"]),
            bias=bool(hyper["bias"]),
        )
    if node.type == "BatchNorm2d":
        return nn.BatchNorm2d(int(hyper["num_features"]))
    assert node.type == "ReLU", node.type
    return nn.ReLU()


def _slice_from(layer: nn.Module, real: nn.Module, path: int) -> None:
    """Copy pathway ``path``'s share of ``real``'s weights into ``layer``: the rows (outputs) and columns (inputs)
    of that group where ``layer`` is narrower than ``real``."""
    for name, target in [*layer.named_parameters(), *layer.named_buffers()]:
        source = getattr(real, name)
        if name == "num_batches_tracked":
            continue
        for dim, (small, large) in enumerate(zip(target.shape, source.shape, strict=True)):
            if small < large:
                source = source.narrow(dim, path * small, small)
        assert source.shape == target.shape, (name, source.shape, target.shape)
        with torch.no_grad():
            target.copy_(source)


@pytest.fixture(scope="module")
def block() -> nn.Module:
    torch.manual_seed(0)
    model = torchvision.models.resnext50_32x4d()
    block = model.get_submodule(BLOCK)
    generator = torch.Generator().manual_seed(1)
    for bn in (m for m in block.modules() if isinstance(m, nn.BatchNorm2d)):
        # Trained-like statistics and affine terms, so that slicing them per pathway matters.
        bn.running_mean.copy_(torch.randn(bn.num_features, generator=generator) * 0.1)
        bn.running_var.copy_(torch.rand(bn.num_features, generator=generator) + 0.5)
        bn.weight.data.copy_(torch.rand(bn.num_features, generator=generator) + 0.5)
        bn.bias.data.copy_(torch.randn(bn.num_features, generator=generator) * 0.1)
    return block.eval()


def test_the_32_drawn_pathways_sum_to_the_blocks_residual_branch(block: nn.Module) -> None:
    drawing = expand_groups(graph_of_name("resnext50_32x4d"), BLOCK)
    groups = block.conv2.groups
    assert groups == 32
    pathways = []
    for path in range(groups):
        prefix = f"pathway{path + 1}."
        layers = []
        for node in (n for n in drawing.nodes if n.id.startswith(prefix)):
            layer = _layer(node)
            label = node.id[len(prefix) :]
            _slice_from(layer, block.get_submodule(label.split("_")[0]), path)  # relu_1: the block's one ReLU
            layers.append(layer)
        assert [type(layer).__name__ for layer in layers if isinstance(layer, nn.Conv2d)] == ["Conv2d"] * 3
        pathways.append(nn.Sequential(*layers).eval())
    assert len(pathways) == 32

    generator = torch.Generator().manual_seed(2)
    x = torch.randn(2, 256, 14, 14, generator=generator)
    branch: dict[str, torch.Tensor] = {}
    hook = block.conv3.register_forward_hook(lambda _m, _i, out: branch.setdefault("conv3", out.detach().clone()))
    try:
        with torch.no_grad():
            out = block(x)
            summed = sum(pathway(x) for pathway in pathways)
    finally:
        hook.remove()
    assert isinstance(summed, torch.Tensor)
    # The sum of the pathways is the branch where the drawing puts the sum (after the last 1×1), ...
    torch.testing.assert_close(summed, branch["conv3"], rtol=1e-4, atol=1e-5)
    # ... and with the block's last BatchNorm, its identity shortcut and ReLU, the block's output.
    with torch.no_grad():
        rebuilt = torch.relu(block.bn3(summed) + x)
    torch.testing.assert_close(rebuilt, out, rtol=1e-4, atol=1e-5)
