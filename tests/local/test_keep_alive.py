"""The local servers (the API and the moto server) keep a client's connection open between requests,
each request reading exactly its own body, and serve concurrent requests at once."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from werkzeug.serving import make_server

from local.keep_alive import KeepAlive

CONCURRENT = 4
_together = threading.Barrier(CONCURRENT)


def _app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Echoes the body and the connection's port; ``/together`` answers only once four requests
    are in it at the same time (else 503 after a few seconds)."""
    stream = environ["wsgi.input"]
    body = (
        stream.read()
        if environ.get("wsgi.input_terminated")
        else stream.read(int(environ.get("CONTENT_LENGTH") or 0))
    )
    status = "200 OK"
    if environ["PATH_INFO"] == "/together":
        try:
            _together.wait(timeout=5)
        except threading.BrokenBarrierError:
            status = "503 Service Unavailable"
    answer = json.dumps({"body": body.decode(), "client_port": environ["REMOTE_PORT"]}).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))])
    return [answer]


@pytest.fixture
def server() -> Iterator[int]:
    server = make_server("127.0.0.1", 0, _app, threaded=True, request_handler=KeepAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port
    server.shutdown()
    server.server_close()


def _post(connection: http.client.HTTPConnection, body: bytes, **headers: str) -> tuple[int, dict, Any]:
    connection.request("POST", "/", body=body, headers=headers)
    response = connection.getresponse()
    return response.status, json.loads(response.read()), response.getheader("Connection")


def test_one_connection_carries_many_requests_each_with_its_own_body(server: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
    answers = [_post(connection, body) for body in (b"first", b"", b"x" * 70_000, b"last")]
    assert [status for status, _, _ in answers] == [200] * 4
    assert [answer["body"] for _, answer, _ in answers] == ["first", "", "x" * 70_000, "last"]
    assert {answer["client_port"] for _, answer, _ in answers} == {connection.sock.getsockname()[1]}
    assert all(header is None for _, _, header in answers)  # never "Connection: close"
    connection.close()


def test_a_chunked_body_is_read_and_its_connection_closed(server: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
    connection.request("POST", "/", body=iter([b"chunk", b"ed"]), encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 200 and json.loads(response.read())["body"] == "chunked"
    assert response.getheader("Connection") == "close"
    connection.close()


def test_a_client_that_asks_to_close_is_closed(server: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
    status, answer, header = _post(connection, b"bye", Connection="close")
    assert status == 200 and answer["body"] == "bye"
    assert header == "close" and connection.sock is None
    connection.close()


def test_concurrent_requests_are_served_at_once(server: int) -> None:
    def together(_: int) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
        connection.request("GET", "/together")
        status = connection.getresponse().status
        connection.close()
        return status

    with ThreadPoolExecutor(CONCURRENT) as pool:
        assert list(pool.map(together, range(CONCURRENT))) == [200] * CONCURRENT
