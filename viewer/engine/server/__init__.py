"""The engine's process: the job loop and the connections that feed it (``DESIGN.md``: the house).

The window never imports torch: its client (``viewer.gui.client``) starts this loop in a spawned child process
(:func:`~viewer.engine.server.serve.run_local_engine`), or reaches ``viewer engine --listen HOST:PORT
--token-file FILE`` on a GPU server (:class:`~viewer.engine.server.serve.TcpServer`).

Protocol (messages of :mod:`viewer.core.wire`, framed by ``multiprocessing.connection``'s ``send_bytes``):

- open: engine → ``hello`` (nonce); client → ``auth`` (HMAC of the nonce with the token, its own nonce);
  engine → ``welcome`` (its HMAC, client id, version, pid) or ``refused`` (one sentence) and closes.
- client → ``submit`` {job, name, args, kwargs, model, models, priority, kind, low_memory}; ``cancel`` {job};
  ``forget`` (its models that ran out of GPU memory may try the GPU again); ``bye``.
- engine → per job: ``started`` (again after nested jobs ran), ``progress`` {progress}, ``note`` {text} (the
  out-of-memory policy's steps), then one of ``result`` {value, elapsed_ms}, ``error`` {message, details,
  is_bug, type} or ``cancelled``.

The scheduler also answers its own queries, sent as a ``submit`` of a reserved name
(:data:`viewer.core.job_names.LOADED_MODELS`, ``LOADED_MODEL_BYTES``) and answered with a ``result``: what its
model cache holds, which no job of the table can see.

Jobs are the functions of a table ``module:attr`` (``viewer.engine.jobs:JOBS``); ``model=`` gives a job
``loaded=`` (built or cached here), ``models=`` a ``load=`` loader. Importing this package imports no torch:
the job table does, in the engine's process only.
"""

from __future__ import annotations

from viewer.engine.server.scheduler import JobCancelled, Request, Scheduler, describe, load_jobs
from viewer.engine.server.serve import DEFAULT_JOBS, Session, TcpServer, run_engine_thread, run_local_engine

__all__ = [
    "DEFAULT_JOBS",
    "JobCancelled",
    "Request",
    "Scheduler",
    "Session",
    "TcpServer",
    "describe",
    "load_jobs",
    "run_engine_thread",
    "run_local_engine",
]
