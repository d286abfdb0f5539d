"""The lecture's networks that torchvision does not ship."""

from viewer.engine.zoo.lenet import LeNet5
from viewer.engine.zoo.nin import MlpConv, NetworkInNetwork

__all__ = ["LeNet5", "MlpConv", "NetworkInNetwork"]
