"""Running the live service under uvicorn: socket binding, readiness line, SIGTERM.

:func:`serve` binds the socket itself (so ``--port 0`` gives a free port, reported on
the readiness line ``routesim serve: ready on http://HOST:PORT``), runs uvicorn with
httptools and uvloop when installed, and returns after a graceful shutdown: on SIGTERM
or SIGINT uvicorn stops accepting connections and finishes open requests, then the
app's lifespan shutdown drains the router and writes the ledger.
"""

from __future__ import annotations

import signal
import socket
import sys
from collections.abc import Callable

import uvicorn

from sim.live.app import LiveApp
from sim.live.runtime import LiveService

LOOPBACK = "127.0.0.1"


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on ``host:port`` (``port`` 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot bind {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def serve(
    service: LiveService,
    host: str = LOOPBACK,
    port: int = 8080,
    api_key: str | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT, then drain and write the ledger."""
    sock = bind_socket(host, port)
    url = url_of(sock)

    def ready() -> None:
        line = (
            f"routesim serve: ready on {url} (scenario {service.scenario.name}, "
            f"strategy {service.spec.name}, time scale {service.clock.time_scale:g})"
        )
        (announce or _stdout)(line)

    app = LiveApp(service, api_key=api_key, on_ready=ready)
    config = uvicorn.Config(
        app,
        lifespan="on",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=10,
        backlog=4096,
    )
    server = uvicorn.Server(config)
    # uvicorn re-raises the signal it stopped on once it has shut down; a SIGTERM that
    # ended in a clean drain is a normal exit (0), not death by signal
    previous = signal.signal(signal.SIGTERM, _ignore)
    try:
        server.run(sockets=[sock])
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
    if service.ledger_path is not None:
        (announce or _stdout)(
            f"routesim serve: {len(service.router.ledger)} messages, all terminal; "
            f"ledger {service.ledger_path}"
        )


def _ignore(signum: int, frame: object) -> None:
    return None


def _stdout(line: str) -> None:
    print(line, flush=True)
    sys.stdout.flush()
