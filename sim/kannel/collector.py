"""A small loopback HTTP endpoint that records the receipts Kannel posts to ``dlr-url``."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

# Kannel DLR types (dlr-mask bits)
DLR_DELIVERED, DLR_UNDELIVERED, DLR_BUFFERED, DLR_SMSC_ACK, DLR_SMSC_REJECT = 1, 2, 4, 8, 16
FINAL_MASK = DLR_DELIVERED | DLR_UNDELIVERED | DLR_SMSC_REJECT  # Kannel adds 32 on expiry


class DlrCollector:
    """Records every GET/POST query string it gets; ``url`` is its base URL.

    ``forward``, when given, is called with each query (in the request's thread) before
    the answer, e.g. to relay it elsewhere."""

    def __init__(self, forward: Callable[[dict[str, str]], None] | None = None) -> None:
        self.received: list[dict[str, str]] = []
        self.lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                query = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    body = self.rfile.read(length).decode("utf-8", "replace")
                    query.update(parse_qsl(body, keep_blank_values=True))
                with collector.lock:
                    collector.received.append(query)
                if forward is not None:
                    forward(query)
                with contextlib.suppress(OSError):  # Kannel shutting down mid-request
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")

            do_GET = do_POST = _record

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port: int = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> DlrCollector:
        self._thread.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:  # fmt: skip
        self.server.shutdown()
        self.server.server_close()

    def snapshot(self) -> list[dict[str, str]]:
        with self.lock:
            return list(self.received)
