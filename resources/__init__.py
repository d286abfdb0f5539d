"""Package data: bundled LeNet-5 weights, icons, sample images."""
