"""The credentials of a request come from the config only.

requests takes a host's login from ~/.netrc (or $NETRC) for any request without `auth=`, and
it replaces the Authorization header the config set (a bearer token, a custom header). Every
request of ours therefore names its auth: the configured user and password, the URL's
user:password@, or `NoAuth`.
"""

from __future__ import annotations

import requests
from requests.auth import AuthBase
from requests.utils import get_auth_from_url


class NoAuth(AuthBase):
    """Adds nothing: the request keeps the headers the config gave it."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


Auth = tuple[str, str] | AuthBase


def configured_auth(url: str, basic: tuple[str, str] | None) -> Auth:
    """`basic` (user, password), else the URL's user:password@, else NoAuth()."""
    if basic:
        return basic
    user, password = get_auth_from_url(url)
    return (user, password) if user or password else NoAuth()
