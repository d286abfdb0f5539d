"""The engine client: the window's jobs run in the engine's process (``viewer.engine.server``), never here.

Plain Python: no torch and no Qt (the GUI bounces callbacks to its thread).
"""

from __future__ import annotations

from viewer.gui.client.engine_client import EngineClient
from viewer.gui.client.futures import EngineBug, EngineFuture, EngineStopped

__all__ = ["EngineBug", "EngineClient", "EngineFuture", "EngineStopped"]
