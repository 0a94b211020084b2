"""HTTP/1.1 keep-alive for werkzeug's development server, which the local API and the moto server run on.

werkzeug answers every request with ``Connection: close`` because Python's ``http.server`` cannot
tell where an unread request body ends, so it drains the socket after each answer. Every AWS call
of a function and every SDK request then paid a new TCP connection, and the server a new thread
(a fifth of the moto server's CPU per request, half the latency of a small call). Here a request's
body is read in full (by its ``Content-Length``) before the application sees it, so the socket is
always at the next request and the connection can stay open; the drain then finds nothing of the
next request to discard. A chunked body (no length) still closes its connection, as before."""

from __future__ import annotations

import io
import socket
from typing import Any

from werkzeug.serving import WSGIRequestHandler


class KeepAlive(WSGIRequestHandler):
    """Mixin for a werkzeug request handler (threaded server): connections stay open between requests."""

    keep_alive = False

    def setup(self) -> None:
        super().setup()
        # An answer goes out as two writes (head, body): on an open connection Nagle's algorithm
        # would hold the body until the client's delayed ACK of the head, 40 ms later.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        length = environ.get("CONTENT_LENGTH") or "0"
        self.keep_alive = (
            "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower() and length.isdigit()
        )
        if self.keep_alive:
            environ["wsgi.input"] = io.BytesIO(self.rfile.read(int(length)))
            self.socket_file, self.rfile = self.rfile, io.BytesIO()  # werkzeug's drain reads nothing
        return environ

    def run_wsgi(self) -> None:
        try:
            super().run_wsgi()
        finally:
            if self.keep_alive:
                self.rfile = self.socket_file  # the next request line comes from the socket again

    def send_header(self, keyword: str, value: str) -> None:
        closing = keyword.lower() == "connection" and value.lower() == "close"
        if closing and self.keep_alive and not self.close_connection:
            return  # open, unless the client asked to close (or speaks HTTP/1.0): then it is told
        super().send_header(keyword, value)
