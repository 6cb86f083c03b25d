"""One SMTP exchange under one deadline: connect, greeting, TLS, login and the message together.

A socket timeout bounds each read only, so a server that drips one byte every few seconds could
keep a run alive for hours. A watchdog timer shuts the connection down when the deadline passes;
it holds a duplicate of the socket's descriptor, so it reaches the connection through TLS
wrapping (STARTTLS replaces the socket object, not the connection).
"""

from __future__ import annotations

import base64
import contextlib
import smtplib
import socket
import ssl
import threading
import time
from email.message import EmailMessage
from types import TracebackType
from typing import Any


class DeadlinePassed(Exception):
    """The exchange did not finish within the deadline; `stage` is where it stood."""

    def __init__(self, seconds: float, stage: str) -> None:
        super().__init__(f"no complete exchange within {seconds:g}s (stopped while {stage})")
        self.stage = stage


class _Watchdog:
    """Shuts the watched connection down when `seconds` have passed since it was made."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.stage = "connecting"
        self.fired = False
        self.fired_while = ""
        self._end = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._dup: socket.socket | None = None
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._timer.cancel()
        with self._lock:
            if self._dup is not None:
                self._dup.close()
                self._dup = None

    def connect(self, host: str, port: int, source: Any) -> socket.socket:
        """A TCP connection made within the time left, and watched from then on."""
        left = self._end - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed before connecting")
        sock = socket.create_connection((host, port), left, source)
        with self._lock:
            self._dup = sock.dup()
            if self.fired:
                self._dup.shutdown(socket.SHUT_RDWR)
        self.stage = "waiting for the greeting"
        return sock

    def passed(self) -> str | None:
        """Where the exchange stood when the deadline passed, or None while time is left.

        A socket timeout can end a read at the deadline before the timer thread runs (on a
        busy machine): the deadline passed all the same.
        """
        if self.fired:
            return self.fired_while
        if time.monotonic() >= self._end:
            return self.stage
        return None

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            self.fired_while = self.stage  # later steps fail on the closed connection
            if self._dup is not None:
                with contextlib.suppress(OSError):  # blocked reads and writes return now
                    self._dup.shutdown(socket.SHUT_RDWR)


class _SMTP(smtplib.SMTP):
    def __init__(self, dog: _Watchdog, host: str, port: int) -> None:
        self._dog = dog
        super().__init__(host, port, timeout=dog.seconds)

    def _get_socket(self, host: str, port: int, timeout: float | None) -> socket.socket:
        return self._dog.connect(host, port, self.source_address)


class _SMTP_SSL(smtplib.SMTP_SSL):
    def __init__(self, dog: _Watchdog, host: str, port: int, context: ssl.SSLContext) -> None:
        self._dog = dog
        super().__init__(host, port, timeout=dog.seconds, context=context)

    def _get_socket(self, host: str, port: int, timeout: float | None) -> socket.socket:
        raw = self._dog.connect(host, port, self.source_address)
        self._dog.stage = "starting TLS"
        wrapped = self.context.wrap_socket(raw, server_hostname=host)
        self._dog.stage = "waiting for the greeting"
        return wrapped


def send(
    host: str,
    port: int,
    security: str,
    credentials: tuple[str, str] | None,
    message: EmailMessage,
    sender: str,
    recipients: list[str],
    seconds: float,
) -> dict[str, str]:
    """Send `message` over one connection within `seconds`; return the refused recipients.

    Raises DeadlinePassed, or what smtplib and the socket raise.
    """
    context = ssl.create_default_context()
    with _Watchdog(seconds) as dog:
        smtp: smtplib.SMTP | None = None
        try:
            smtp = (
                _SMTP_SSL(dog, host, port, context) if security == "ssl" else _SMTP(dog, host, port)
            )
            dog.stage = "saying EHLO"
            smtp.ehlo()
            if security == "starttls":
                dog.stage = "starting TLS"
                smtp.starttls(context=context)
                smtp.ehlo()
            if credentials:
                dog.stage = "logging in"
                login(smtp, *credentials)
            dog.stage = "sending the message"
            refused = smtp.send_message(message, sender, recipients)
            dog.stage = "saying QUIT"
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()  # the message was accepted: a slow goodbye changes nothing
        except (smtplib.SMTPException, OSError):
            stage = dog.passed()
            if stage is not None:
                raise DeadlinePassed(seconds, stage) from None
            raise
        finally:
            if smtp is not None:
                smtp.close()
    return {r: f"{code} {_text(text)}" for r, (code, text) in refused.items()}


def login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """smtplib's login, but UTF-8 for a non-ASCII user or password (PLAIN, else LOGIN)."""
    if (user + password).isascii():
        smtp.login(user, password)
        return
    offered = smtp.esmtp_features.get("auth", "").upper().split()

    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode("ascii")

    if "PLAIN" in offered:
        code, reply = smtp.docmd("AUTH", "PLAIN " + b64(f"\0{user}\0{password}"))
    elif "LOGIN" in offered:
        code, reply = smtp.docmd("AUTH", "LOGIN " + b64(user))
        if code == 334:
            code, reply = smtp.docmd(b64(password))
    else:
        raise smtplib.SMTPNotSupportedError(
            "the server offers neither PLAIN nor LOGIN, which a non-ASCII user name or "
            "password needs"
        )
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply
