"""A real SMTP server for the tests: aiosmtpd on a free local port.

``LocalSmtp()`` records every message it accepts (envelope recipients and the
raw bytes, parsed back with the standard library's parser). ``answer`` sets
what it says to DATA: ``"250 OK"`` (default), a 4xx to make the sender retry
or a 5xx to make it give up; ``stop()`` takes it down (connections refused)
and ``start()`` brings it back on the same port.
"""

from __future__ import annotations

import email
import socket
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Received:
    recipients: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Handler:
    def __init__(self, owner: LocalSmtp) -> None:
        self.owner = owner

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        answer = self.owner.answer
        if answer.startswith("250"):
            with self.owner.lock:
                self.owner.received.append(Received(tuple(envelope.rcpt_tos), bytes(envelope.content)))
        return answer


class LocalSmtp:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.answer = "250 OK"
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> LocalSmtp:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [r.message for r in self.received]

    def __enter__(self) -> LocalSmtp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
