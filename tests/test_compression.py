"""prometheus.compression: gzip asked for or not, auto by the server's address."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.demo.promserver import PrometheusServer
from tests.support.configs import shipped_config
from tests.support.faultproxy import Faults, fault_proxy


@pytest.mark.parametrize(
    ("url", "setting", "compress"),
    [
        ("http://127.0.0.1:9090", None, False),  # auto on loopback: no gzip
        ("http://127.3.4.5:9090", None, False),
        ("http://localhost:9090", None, False),
        ("http://[::1]:9090", None, False),
        ("https://prometheus.example.com", None, True),  # auto elsewhere: gzip
        ("http://10.0.0.7:9090", None, True),
        ("http://127.0.0.1:9090", "true", True),
        ("https://prometheus.example.com", "off", False),
        ("https://prometheus.example.com", "auto", True),
    ],
)
def test_compression_resolves_auto_by_address(
    tmp_path: Path, url: str, setting: str | None, compress: bool
) -> None:
    line = f"  compression: {setting}\n" if setting else ""
    config = shipped_config(tmp_path, url, {"  retries: 3\n": "  retries: 3\n" + line})
    assert load_config(config, env={}).source.compress is compress


@pytest.mark.prometheus
@pytest.mark.parametrize(("setting", "sent"), [(None, "identity"), ("true", "gzip")])
def test_the_server_is_asked_for_what_the_setting_says(
    tmp_path: Path, prometheus: PrometheusServer, setting: str | None, sent: str
) -> None:
    faults = Faults()
    line = f"  compression: {setting}\n" if setting else ""
    with fault_proxy(prometheus.url, faults) as url:
        config = shipped_config(tmp_path, url, {"  retries: 3\n": "  retries: 3\n" + line})
        assert main(["--week", "1", "--config", str(config), "--dry-run", "-q"]) == 0
    assert faults.requests
    asked = {r.get("Accept-Encoding", "").split(",")[0] for r in faults.requests}
    assert asked == {sent}  # requests' default is "gzip, deflate" (and br with brotli)
