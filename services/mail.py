"""Delivery: one e-mail to an SMTP server (standard library ``smtplib``), or
to a ``.eml`` file when no server is configured (``BILLING_SMTP_URL``
empty), so a demo runs offline and nothing leaves the machine.

A send ends in one of three :class:`Outcome`s, decided by the server's
answer: ``sent`` (2xx), ``temporary`` (4xx, a refused or dropped connection,
a timeout: try again later) or ``permanent`` (5xx: trying again would get
the same answer). The answer is recorded as the server gave it; the
password is never part of it (``smtplib`` does not echo credentials, and
:class:`settings.SmtpServer` keeps it out of ``repr``).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from settings import SmtpServer

TIMEOUT_SECONDS = 30


class Outcome(StrEnum):
    SENT = "sent"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    answer: str  # "250 OK queued as …", "451 try later", "connection refused"


class Transport(Protocol):
    def send(self, message: EmailMessage, file_stem: str) -> Delivery: ...
    def close(self) -> None: ...


def _answer(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}".strip()


def _classify(code: int) -> Outcome:
    return Outcome.PERMANENT if 500 <= code < 600 else Outcome.TEMPORARY


class SmtpTransport:
    """One connection, reused for every message of a run; reopened after an error."""

    def __init__(self, server: SmtpServer, timeout: float = TIMEOUT_SECONDS) -> None:
        self.server = server
        self.timeout = timeout
        self._client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if server.implicit_tls:
            client = smtplib.SMTP_SSL(server.host, server.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
            if server.starttls:
                client.starttls(context=context)
        if server.username:
            client.login(server.username, server.password or "")
        return client

    def send(self, message: EmailMessage, file_stem: str = "") -> Delivery:
        try:
            if self._client is None:
                self._client = self._connect()
            refused = self._client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            self._drop()
            codes = [code for code, _ in error.recipients.values()]
            text = "; ".join(f"{who}: {_answer(code, words)}" for who, (code, words) in error.recipients.items())
            outcome = Outcome.PERMANENT if codes and all(500 <= c < 600 for c in codes) else Outcome.TEMPORARY
            return Delivery(outcome, text)
        except smtplib.SMTPAuthenticationError as error:
            self._drop()  # the configuration is wrong, not the message: keep it for when it is fixed
            return Delivery(Outcome.TEMPORARY, f"sign-in to the SMTP server refused: {_answer(error.smtp_code, error.smtp_error)}")
        except smtplib.SMTPResponseException as error:
            self._drop()
            return Delivery(_classify(error.smtp_code), _answer(error.smtp_code, error.smtp_error))
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPException) as error:
            self._drop()
            return Delivery(Outcome.TEMPORARY, f"SMTP session ended: {type(error).__name__}")
        except (TimeoutError, ConnectionError, OSError) as error:
            self._drop()
            return Delivery(Outcome.TEMPORARY, f"cannot reach {self.server.host}:{self.server.port}: "
                                               f"{error.strerror or type(error).__name__}")
        if refused:
            text = "; ".join(f"{who}: {_answer(code, words)}" for who, (code, words) in refused.items())
            return Delivery(Outcome.SENT, f"250 accepted except {text}")
        return Delivery(Outcome.SENT, "250 accepted")

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(OSError):
                client.close()

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()


class FileTransport:
    """Writes each message as ``<folder>/<stem>.eml``: opens in any mail program."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage, file_stem: str) -> Delivery:
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = self.folder / f"{file_stem}.eml"
            path.write_bytes(bytes(message))
        except OSError as error:
            return Delivery(Outcome.TEMPORARY, f"cannot write the .eml file: {error.strerror or error}")
        return Delivery(Outcome.SENT, f"written to {path}")

    def close(self) -> None:
        pass


def transport_for(server: SmtpServer | None, outbox_dir: Path) -> Transport:
    return SmtpTransport(server) if server is not None else FileTransport(outbox_dir)
