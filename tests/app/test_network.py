"""The server's sockets send without Nagle's delay (ui.network): a listening
socket made like Streamlit makes its own (protocol 0, which asyncio leaves
alone) gets TCP_NODELAY, and so does every connection it accepts after."""

from __future__ import annotations

import socket
import sys

import pytest

from ui.network import send_without_delay

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd; Linux copies the option")


def _nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_a_listening_socket_and_its_later_connections_send_at_once():
    listener = socket.socket(family=socket.AF_INET)  # as streamlit.web.server.starlette binds it
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    early = socket.create_connection(listener.getsockname())
    accepted_early, _ = listener.accept()
    try:
        assert _nodelay(listener) == 0 and _nodelay(accepted_early) == 0
        assert send_without_delay() >= 2
        assert _nodelay(listener) == 1 and _nodelay(accepted_early) == 1
        late = socket.create_connection(listener.getsockname())
        accepted_late, _ = listener.accept()
        assert _nodelay(accepted_late) == 1
        late.close()
        accepted_late.close()
        send_without_delay()  # again: looking closes nothing
        again = socket.create_connection(listener.getsockname())
        accepted_again, _ = listener.accept()
        again.sendall(b"open")
        assert accepted_again.recv(8) == b"open"
        again.close()
        accepted_again.close()
    finally:
        for sock in (early, accepted_early, listener):
            sock.close()


def test_other_sockets_are_left_as_they_are():
    left, right = socket.socketpair()  # AF_UNIX: no TCP options
    try:
        send_without_delay()
        left.sendall(b"still open")
        assert right.recv(16) == b"still open"
    finally:
        left.close()
        right.close()
