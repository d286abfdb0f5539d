"""The torch-free core: types and plain-Python helpers that the engine, the GUI and the CLI share.

Nothing here imports torch or Qt (an import-linter contract and a subprocess test hold that line).
"""
