"""The credentials of a request: one Authorization header, built the same way for Prometheus and
the Pushgateway, from the config only.

The config gives a bearer token or a basic-auth login by environment variable, else the URL's
user:password@ is the login. A basic-auth login is encoded as UTF-8 (the only charset RFC 7617
names; Prometheus and the Pushgateway compare the bytes sent with a password written in UTF-8),
not as requests' `auth=` tuple would (Latin-1, raising for a character outside it).

requests takes a host's login from ~/.netrc (or $NETRC) for any request without `auth=`, and
it replaces the Authorization header the config set (a bearer token, a custom header). Every
request of ours therefore names `auth=NoAuth()` and carries the header itself.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import requests
from requests.auth import AuthBase
from requests.utils import get_auth_from_url


class NoAuth(AuthBase):
    """Adds nothing: the request keeps the headers the config gave it."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class Configured(Protocol):
    """The credential settings of a server (SourceSettings, PushSettings)."""

    @property
    def bearer_token_env(self) -> str | None: ...

    @property
    def basic_auth(self) -> tuple[str, str] | None: ...


@dataclass(frozen=True)
class Credentials:
    """The Authorization header each request to one server carries (None: none), and the
    config key it comes from, for a 401's hint (None: the URL's user:password@, or nothing)."""

    authorization: str | None
    key: str | None

    @property
    def headers(self) -> dict[str, str]:
        """The header to add to the request's own."""
        return {"Authorization": self.authorization} if self.authorization else {}


def credentials(url: str, configured: Configured, env: Mapping[str, str]) -> Credentials:
    """The bearer token, else the basic-auth login, else the URL's user:password@, else none.

    A variable that is not set reads as empty (the config's checks report it before a run; a
    caller that skips them gets the server's 401 and its hint, not a KeyError)."""
    if configured.bearer_token_env:
        token = env.get(configured.bearer_token_env, "")
        return Credentials(f"Bearer {token}", "bearer_token_env")
    if configured.basic_auth:
        username, password_env = configured.basic_auth
        return Credentials(basic(username, env.get(password_env, "")), "basic_auth")
    user, password = get_auth_from_url(url)
    return Credentials(basic(user, password) if user or password else None, None)


def basic(username: str, password: str) -> str:
    """The Authorization value of a basic-auth login, UTF-8 encoded."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
