"""How alerts reach each agent: one routing label per agent (`agent_<id>="true"`), so that an
Alertmanager route on one agent matches every goal that agent shares with others."""

from __future__ import annotations

ROUTE_VALUE = "true"


def agent_label(agent_id: str) -> str:
    """The label that marks an alert for `agent_id` (`go-code` -> `agent_go_code`)."""
    return "agent_" + agent_id.replace("-", "_")
