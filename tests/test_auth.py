"""Prometheus and the Pushgateway get the same Authorization header for the same credentials
(pipeline/query/auth.py): a configured bearer token or login wins over the URL's
user:password@, and a login is sent as UTF-8, the only charset RFC 7617 names."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from pipeline.config.mapping import push_settings, source_settings
from pipeline.config.outputs import MetricsSettings
from pipeline.config.spec import PrometheusSettings
from pipeline.errors import SourceUnavailable
from pipeline.outputs.metrics import bounded_handler
from pipeline.query.source import PrometheusSource
from tests.support.faultproxy import Faults, fault_proxy
from tests.support.hostile import status
from tests.support.pushgateway import (  # noqa: F401 (fixtures)
    RecordingGateway,
    recording_gateway_fixture,
)

ENV = {"TOKEN": "tok-3c9a", "PASSWORD": "pässwörd"}  # Latin-1, so the config's checks pass
LOGIN = {"basic_auth": {"username": "reports", "password_env": "PASSWORD"}}


def _basic(login: str) -> str:
    return "Basic " + base64.b64encode(login.encode("utf-8")).decode()


# credentials in the config, user:password@ put in the URL, the Authorization header expected
CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    "bearer token": ({"bearer_token_env": "TOKEN"}, "", "Bearer tok-3c9a"),
    "bearer token over user:pass@": ({"bearer_token_env": "TOKEN"}, "u:p@", "Bearer tok-3c9a"),
    "login, not Latin-1 but UTF-8": (LOGIN, "", _basic("reports:pässwörd")),
    "login over user:pass@": (LOGIN, "u:p@", _basic("reports:pässwörd")),
    "user:pass@, percent-encoded UTF-8": ({}, "r%C3%A9ports:p%C3%A4ss@", _basic("réports:päss")),
}


def _with_login(url: str, login: str) -> str:
    return url.replace("http://", f"http://{login}")


def _sent_to_prometheus(credentials: dict[str, Any], login: str) -> str:
    faults = Faults(answer=status(401))
    with fault_proxy("http://127.0.0.1:9", faults) as url:
        settings = PrometheusSettings(url=_with_login(url, login), retries=0, **credentials)
        source = PrometheusSource(source_settings(settings, Path(".")), ENV)
        with pytest.raises(SourceUnavailable, match="401 Unauthorized"):
            source.query_range("up", 0.0, 60.0, 60.0)
    [request] = faults.requests
    return request["Authorization"]


def _sent_to_pushgateway(credentials: dict[str, Any], login: str, gateway: RecordingGateway) -> str:
    url = _with_login(gateway.url, login)
    settings = push_settings(MetricsSettings(pushgateway_url=url, timeout_s=5, **credentials))
    bounded_handler(settings, ENV)(f"{url}/metrics/job/j", "PUT", 5, [], b"")()
    [push] = gateway.pushes
    return push.headers["Authorization"]


@pytest.mark.parametrize("case", CASES)
def test_prometheus_and_the_pushgateway_get_the_same_authorization(
    case: str, recording_gateway: RecordingGateway
) -> None:
    credentials, login, expected = CASES[case]
    assert _sent_to_prometheus(credentials, login) == expected
    assert _sent_to_pushgateway(credentials, login, recording_gateway) == expected
