"""convnet viewer: look inside image-classification networks."""

__version__ = "0.1.0"
__all__ = ["__version__"]
