"""The lecture's networks that torchvision does not ship, and He et al.'s original ResNets."""

from viewer.engine.zoo.lenet import LeNet5
from viewer.engine.zoo.nin import MlpConv, NetworkInNetwork
from viewer.engine.zoo.resnet_v1 import (
    BLOCKS,
    V1_OF,
    move_stride_to_first_conv,
    resnet50_v1,
    resnet101_v1,
    resnet152_v1,
    v1_macs,
)

__all__ = [
    "BLOCKS",
    "V1_OF",
    "LeNet5",
    "MlpConv",
    "NetworkInNetwork",
    "move_stride_to_first_conv",
    "resnet50_v1",
    "resnet101_v1",
    "resnet152_v1",
    "v1_macs",
]
