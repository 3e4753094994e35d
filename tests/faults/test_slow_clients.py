"""Slow clients against a real server: 50 slow-loris connections trickling header bytes do not stop a
normal client, and are cut off with 408 once their header deadline passes; a body that stops arriving is
a 408 too. Protocol errors the server answers itself are problem documents."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import httpx
import pytest

from .support import Server


@pytest.fixture
def server(settings):
    if not settings.is_sqlite:
        pytest.skip("the HTTP protocol layer does not depend on the engine: run once")
    s = Server(settings.database_url, GEONEWS_HEADER_TIMEOUT="3", GEONEWS_BODY_TIMEOUT="1").start()
    yield s
    s.stop()


def _read_all(sock: socket.socket, within: float) -> bytes:
    sock.settimeout(within)
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except TimeoutError:
        pass
    return data


def test_slow_loris_does_not_starve_a_normal_client_and_slow_bodies_are_408(server):
    stop = threading.Event()
    socks: list[socket.socket] = []
    try:
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", server.port))
            s.sendall(b"GET /v1/actors HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)

        def trickle() -> None:
            while not stop.is_set():
                for s in socks:
                    with contextlib.suppress(OSError):
                        s.sendall(b"X-a: b\r\n")
                time.sleep(0.5)

        feeder = threading.Thread(target=trickle, daemon=True)
        feeder.start()
        with httpx.Client(base_url=server.base, timeout=10) as c:
            statuses = [c.get("/v1/actors?limit=5").status_code for _ in range(40)]
        assert statuses == [200] * 40
        # Every slow connection is answered 408 (a problem document) and closed.
        answers = [_read_all(s, within=15) for s in socks]
        stop.set()
        assert all(a.startswith(b"HTTP/1.1 408") and b"application/problem+json" in a for a in answers), {
            a[:40] for a in answers
        }
        _slow_body_and_bad_request(server)
        _a_refused_client_that_keeps_sending_still_reads_the_end_of_its_answer(server)
    finally:
        stop.set()
        for s in socks:
            s.close()


def _slow_body_and_bad_request(server: Server) -> None:
    """A body that stops arriving is a 408; a malformed request line a 400: both problem documents."""
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(
        b"POST /v1/resolve HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"text": '
    )
    answer = _read_all(s, within=15)
    s.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"application/problem+json" in answer
    # Malformed request lines are the server's to answer: a problem document as well.
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(b"GET /\x01 HTTP/1.1\r\n\r\n")
    answer = _read_all(s, within=10)
    s.close()
    assert answer.startswith(b"HTTP/1.1 400") and b"application/problem+json" in answer, answer[:200]
    assert b"x-request-id: " in answer
    assert httpx.get(f"{server.base}/healthz").status_code == 200


def _a_refused_client_that_keeps_sending_still_reads_the_end_of_its_answer(server: Server) -> None:
    """After its 408 the server half-closes and drops what still arrives: a client that keeps sending (as
    a slow-loris feeder does) reads the answer and then the end of the stream, not a connection reset,
    which a server closing at once with the client's bytes unread would cause."""
    s = socket.create_connection(("127.0.0.1", server.port))
    try:
        s.sendall(b"GET /v1/actors HTTP/1.1\r\nHost: x\r\n")
        s.settimeout(15)
        answer = s.recv(65536)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        for _ in range(5):  # the server has answered and stopped parsing: these land in its receive buffer
            s.sendall(b"X-a: b\r\n")
            time.sleep(0.05)
        while chunk := s.recv(65536):  # ConnectionResetError here if the server reset the connection
            answer += chunk
        assert answer.endswith(b"}"), answer[-200:]
    finally:
        s.close()
