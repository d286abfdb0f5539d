"""How the window has work done: the one job runner over the engine client, and the vocabulary of jobs.

``runner`` is the :class:`~viewer.gui.jobs.runner.JobRunner` (Future tickets, supersede by kind, Cancel, the
engine's restart said once); ``tickets`` the job kinds, their priorities, tickets and errors; ``policy`` the job
policy's table (what each change of input withdraws); ``engine_choice`` which engine the runner uses (``--engine``,
``VIEWER_ENGINE``, File › Engine…). May import ``viewer.core``, Qt's core, the engine client
(:mod:`viewer.gui.client`), the settings and the collector; never the state, the window, the widgets or torch.
"""
