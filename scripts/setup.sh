#!/usr/bin/env bash
# Install what the pipeline needs on a fresh Debian/Ubuntu machine, then the Python venv.
# Idempotent: installs only what is missing. Used by `make demo` and `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v prometheus >/dev/null || need+=(prometheus)
command -v promtool >/dev/null || need+=(prometheus)
# the metrics tests push to a real Pushgateway
command -v prometheus-pushgateway >/dev/null || need+=(prometheus-pushgateway)
# the query-path tests also run against a real VictoriaMetrics (tests/support/victoria.py)
command -v victoria-metrics >/dev/null || need+=(victoria-metrics)
# amtool checks the generated Alertmanager config and its routes, a real Alertmanager its
# inhibit rule (tests/test_alertmanager.py)
command -v amtool >/dev/null || need+=(prometheus-alertmanager)
command -v prometheus-alertmanager >/dev/null || need+=(prometheus-alertmanager)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
command -v openssl >/dev/null || need+=(openssl)  # the e-mail tests make a certificate
command -v chromium >/dev/null || need+=(chromium)  # the report site's tests load it in a browser
command -v npm >/dev/null || need+=(npm)  # axe-core for the browser tests, below
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
# WeasyPrint draws text with Pango.
ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || need+=(libharfbuzz-subset0)

if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing Debian packages: ${need[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
  # The Debian packages may start a system Prometheus (:9090), Pushgateway (:9091),
  # VictoriaMetrics (:8428) and Alertmanager (:9093); the demo and tests start their own
  # servers, and no Alertmanager at all (amtool reads files).
  for service in prometheus prometheus-pushgateway victoria-metrics prometheus-alertmanager; do
    if command -v systemctl >/dev/null && systemctl is-active --quiet "$service" 2>/dev/null; then
      $sudo systemctl stop "$service" || true
    fi
  done
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[dev]'
# axe-core (npm), the accessibility rules tests/test_responsive.py runs in Chromium; the
# browser is Debian's chromium, driven by Playwright's Python package (no browser download).
AXE_CORE=4.14.1
[ -f .venv/node/node_modules/axe-core/axe.min.js ] &&
  grep -q "\"version\": \"$AXE_CORE\"" .venv/node/node_modules/axe-core/package.json ||
  npm install -q --prefix .venv/node --no-save --no-audit --no-fund "axe-core@$AXE_CORE"
