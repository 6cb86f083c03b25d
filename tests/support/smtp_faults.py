"""aiosmtpd servers that misbehave: drip their replies, stall after DATA, take their time."""

from __future__ import annotations

import asyncio
from typing import Any, AnyStr

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from pipeline.demo.promserver import free_port
from tests.support.smtp import Inbox


class _DripSMTP(SMTP):
    """Sends every reply one byte at a time, `drip_s` apart."""

    drip_s = 1.0

    async def push(self, status: AnyStr) -> None:
        data = status.encode() if isinstance(status, str) else status
        for byte in data + b"\r\n":
            if self._writer.transport.is_closing():
                return
            self._writer.write(bytes([byte]))
            await asyncio.sleep(self.drip_s)


class _DripController(Controller):
    def factory(self) -> SMTP:
        return _DripSMTP(self.handler, **self.SMTP_kwargs)


class DripServer:
    """A real aiosmtpd whose greeting and replies trickle in, one byte every `drip_s`."""

    def __init__(self, inbox: Inbox, drip_s: float) -> None:
        _DripSMTP.drip_s = drip_s
        self.port = free_port()
        self.controller = _DripController(inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> DripServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


class SlowInbox(Inbox):
    """An inbox that takes `delay_s` to accept each message, or never answers the DATA of a
    message to one of `stall_for` (its content received, no reply)."""

    def __init__(self, delay_s: float = 0.0, stall_for: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.delay_s = delay_s
        self.stall_for = stall_for
        self.stalled: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.stall_for & set(envelope.rcpt_tos):
            self.stalled.append(list(envelope.rcpt_tos))
            await asyncio.sleep(3600)
        await asyncio.sleep(self.delay_s)
        return await super().handle_DATA(server, session, envelope)
