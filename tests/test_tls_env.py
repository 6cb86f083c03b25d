"""The config's TLS settings win over the environment: a real TLS server on 127.0.0.1 (a
self-signed certificate made by openssl) in front of the test Prometheus, with
REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE pointing at another bundle. Which variables apply when
the config says nothing (the CA bundle variables; HTTP(S)_PROXY and NO_PROXY) is tested too."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.demo.promserver import PrometheusServer, free_port
from tests.support.command import cli_args
from tests.support.configs import write_config
from tests.support.faultproxy import Faults, fault_proxy
from tests.support.handmade import HANDMADE
from tests.support.smtp import self_signed_cert

pytestmark = pytest.mark.prometheus
BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@dataclass(frozen=True)
class TlsServer:
    url: str  # https://127.0.0.1:port, before the test Prometheus
    cert: Path  # its certificate: the CA that verifies it
    other: Path  # another self-signed certificate: a bundle that does not


@pytest.fixture(scope="module")
def tls_server(
    tmp_path_factory: pytest.TempPathFactory, prometheus: PrometheusServer
) -> Iterator[TlsServer]:
    cert, key = self_signed_cert(tmp_path_factory.mktemp("server"))
    other, _ = self_signed_cert(tmp_path_factory.mktemp("other"))
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    with fault_proxy(prometheus.url, Faults(), tls=tls) as url:
        yield TlsServer(url, cert, other)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CA bundle or proxy variable but the test's own (this machine sets some)."""
    for name in (*BUNDLE_VARIABLES, *PROXY_VARIABLES):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def _run(tmp_path: Path, url: str, **settings: object) -> int:
    """Week 1 of HANDMADE against `url` with these prometheus settings, Markdown only."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    merged = {"retries": 0, **settings}
    text = HANDMADE.replace("retries: 1}", ", ".join(f"{k}: {v}" for k, v in merged.items()) + "}")
    config = write_config(tmp_path / "c.yaml", text, url)
    return main(cli_args(1, config, tmp_path / "out", "--format", "md", "-q"))


@pytest.mark.parametrize("variable", BUNDLE_VARIABLES)
def test_verify_tls_false_connects_whatever_the_bundle_variables_say(
    variable: str,
    tmp_path: Path,
    tls_server: TlsServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(variable, str(tls_server.other))
    assert _run(tmp_path, tls_server.url, verify_tls="false") == 0, capsys.readouterr().err
    assert (tmp_path / "out" / "week-01" / "summary.json").is_file()


def test_ca_file_wins_over_the_bundle_variables(
    tmp_path: Path,
    tls_server: TlsServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for variable in BUNDLE_VARIABLES:
        monkeypatch.setenv(variable, str(tls_server.other))
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "prometheus.pem").write_bytes(tls_server.cert.read_bytes())
    assert _run(tmp_path, tls_server.url, ca_file="certs/prometheus.pem") == 0, (
        capsys.readouterr().err
    )


@pytest.mark.parametrize("variable", BUNDLE_VARIABLES)
def test_without_ca_file_the_bundle_variables_choose_the_ca(
    variable: str,
    tmp_path: Path,
    tls_server: TlsServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(variable, str(tls_server.cert))
    assert _run(tmp_path / "a", tls_server.url) == 0, capsys.readouterr().err
    monkeypatch.setenv(variable, str(tls_server.other))
    assert _run(tmp_path / "b", tls_server.url) == 3
    assert capsys.readouterr().err == (
        f"error: Prometheus at {tls_server.url}: certificate verify failed: self-signed "
        "certificate\n"
    )


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        (
            {"ca_file": "missing.pem"},
            "prometheus.ca_file: cannot read 'missing.pem': No such file or directory",
        ),
        (
            {"ca_file": "ca.pem", "verify_tls": "false"},
            "prometheus: set verify_tls: false or ca_file, not both",
        ),
    ],
)
def test_a_ca_file_that_cannot_be_used_is_a_config_error(
    settings: dict[str, object],
    problem: str,
    tmp_path: Path,
    tls_server: TlsServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "ca.pem").write_bytes(tls_server.cert.read_bytes())
    assert _run(tmp_path, tls_server.url, **settings) == 2
    assert problem in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_proxy_variables_apply_and_no_proxy_exempts(
    scheme: str,
    tmp_path: Path,
    prometheus: PrometheusServer,
    tls_server: TlsServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = prometheus.url if scheme == "http" else tls_server.url
    monkeypatch.setenv(f"{scheme.upper()}_PROXY", f"http://127.0.0.1:{free_port()}")  # closed
    assert _run(tmp_path / "a", url, verify_tls="false") == 3
    err = capsys.readouterr().err
    assert err.startswith(f"error: Prometheus at {url}: the proxy refused the connection"), err
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert _run(tmp_path / "b", url, verify_tls="false") == 0, capsys.readouterr().err
