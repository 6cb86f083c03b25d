"""What every delivery of one run shares (e-mail and chat alike)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from pipeline.core.history import History
from pipeline.delivery.keys import WeekKeys
from pipeline.outputs.layout import INDEX
from pipeline.outputs.week import Written


@dataclass(frozen=True)
class Dispatch:
    """The week as this run wrote it, the history where deliveries are checked and recorded,
    whether to send again what was sent (--resend), and where the reports are served
    (report.base_url, ending in `/`; None: not served)."""

    written: Written
    history: History
    resend: bool = False
    base_url: str | None = None

    @cached_property
    def keys(self) -> WeekKeys:
        """The keys of what the week's reports say, from the run's summary document."""
        return WeekKeys.of(self.written.summary, self.written.week.result)

    def link(self, page: str = INDEX) -> str | None:
        """A page of the week folder on the report site (by default the week's page), when the
        site's address is known."""
        if self.base_url is None:
            return None
        return f"{self.base_url}{self.written.folder.name}/{page}"

    def already_sent(self, to: str, accepted: tuple[str, ...]) -> set[str]:
        """Who in the week's records got a delivery to `to` (an agent, `chat:<channel>`) under
        one of the `accepted` keys; nobody with --resend."""
        if self.resend:
            return set()
        return set(self.history.sent_to(self.written.week.number, to, accepted))
