"""The window's one state model: :class:`AppState` (``app``) and the typed sub-states it is composed of.

Each module holds one sub-state, its data and its signals: ``notices`` (what the banner and the tabs say),
``images``, ``model`` (the choice and what is known of it), ``predictions``, ``weights`` (what a failed load leaves
chosen), ``recipe`` (a weights file's preprocessing), ``architecture`` and ``lecture``, ``analysis`` (Activations
and Heatmap), ``exports``, ``compare`` (Compare, the chart and Explain). ``app`` composes them, holds the one
submission path and the job policy's one place; the sub-states reach it through narrow Protocols.

May import: ``viewer.core``, Qt's core (signals, no widgets), and of the GUI the job runner and its vocabulary
(``viewer.gui.jobs.runner``, ``tickets``, ``job_policy``, ``engine_choice``). Never the widgets or the window (they are
bound to the state, not the other way), the settings (the window hands its stores in), the engine (jobs are
named by ``viewer.core.job_names`` and run by the runner), nor torch.
"""

from viewer.core.network.choice import ModelChoice
from viewer.gui.state.app import AppState
from viewer.gui.state.notices import Notice

__all__ = ["AppState", "ModelChoice", "Notice"]
