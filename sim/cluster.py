"""Executors for replications: the local process pool, or a Dask distributed cluster.

``executor_for(None)`` yields ``None`` (the runner then uses its process pool);
``executor_for("tcp://host:port")`` connects to a running Dask scheduler and yields its
``concurrent.futures``-compatible executor. Dask is an optional extra (``cluster``).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager


class ClusterError(RuntimeError):
    """The cluster cannot be used; the message is one line."""


@contextmanager
def executor_for(address: str | None, timeout_s: float = 10.0) -> Iterator[Executor | None]:
    """An executor on the Dask cluster at ``address``, or ``None`` for the local pool."""
    if address is None:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError(
            "--dask needs the 'cluster' extra: pip install 'routesim[cluster]'"
        ) from None
    try:
        client = Client(address, timeout=timeout_s)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach Dask scheduler {address}: {exc}") from None
    try:
        yield client.get_executor()  # type: ignore[no-untyped-call]
    finally:
        client.close()  # type: ignore[no-untyped-call]
