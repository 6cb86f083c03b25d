"""A hostile endpoint in front of the real Prometheus: the run ends on time, bounded in memory,
and never replaces last night's good reports and history with false ones."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.demo.promserver import PrometheusServer
from pipeline.query.bounded_http import Lane
from tests.support.chatserver import chat_receiver
from tests.support.command import cli_args, pipeline_command
from tests.support.configs import shipped_config, write_config
from tests.support.faultproxy import Answer, Faults, fault_proxy
from tests.support.handmade import DAY_START, HANDMADE, MINUTES
from tests.support.hostile import (
    api_error,
    document,
    drip,
    endless,
    gzip_bomb,
    matrix,
    stall,
    status,
)
from tests.support.setups import schedule_config
from tests.support.smtp import Inbox, SmtpServer, self_signed_cert

pytestmark = pytest.mark.prometheus
START_UP_S = 20.0  # generous: a Python start-up and a scoring on a busy 2-core machine


def _config(tmp_path: Path, url: str, **settings: object) -> Path:
    """HANDMADE against `url`, with these prometheus settings."""
    merged = {"retries": 1, **settings}
    text = HANDMADE.replace("retries: 1}", ", ".join(f"{k}: {v}" for k, v in merged.items()) + "}")
    return write_config(tmp_path / "c.yaml", text, url)


def _snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def good_night(tmp_path_factory: pytest.TempPathFactory, prometheus: PrometheusServer) -> Path:
    """Last night's good week 1 and history, from the real Prometheus."""
    folder = tmp_path_factory.mktemp("good")
    config = _config(folder, prometheus.url)
    assert (
        main(["--week", "1", "--config", str(config), "--output", str(folder / "out"), "-q"]) == 0
    )
    return folder / "out"


@pytest.fixture
def out(tmp_path: Path, good_night: Path) -> Path:
    """A copy of last night's output folder."""
    shutil.copytree(good_night, tmp_path / "out")
    assert (tmp_path / "out" / "week-01" / "one.md").exists()
    assert (tmp_path / "out" / "history.sqlite").exists()
    return tmp_path / "out"


def _run(config: Path, out: Path, *extra: str) -> int:
    """Week 1 as the CLI runs it; Markdown only: these tests are about the source."""
    return main(cli_args(1, config, out, "--format", "md", "-q", *extra))


def _summary(out: Path) -> dict[str, dict[str, object]]:
    document = json.loads((out / "week-01" / "summary.json").read_text())
    return {g["id"]: g for g in document["goals"]}


NOT_FOUND = "404 page not found\n"
DEEP = "[" * 100_000  # JSON nested thousands deep: json's recursion gives up on it
DEEP_SHOWN = repr(DEEP[:120] + "... (80 more)")  # the first 200 bytes, capped at 120
HTML = "<html><head><title>Sign in</title></head><body>Please sign in</body></html>"


@pytest.mark.parametrize(
    ("answer", "settings", "message"),
    [
        (
            status(401, "Unauthorized"),
            {"bearer_token_env": "PROM_TOKEN"},
            "401 Unauthorized (check prometheus.bearer_token_env)",
        ),
        (
            status(401, ""),
            {},
            "401 Unauthorized (the server wants credentials or a tenant: set "
            "prometheus.bearer_token_env or basic_auth, or the tenant's header in "
            "prometheus.headers (X-Scope-OrgID for Mimir and Cortex))",
        ),
        (
            status(403, "denied"),
            {},
            "403 Forbidden (the credentials are not allowed to query this server)",
        ),
        (
            status(404, NOT_FOUND),
            {},
            "404 Not Found (check prometheus.url: it should be the address that serves /api/v1/)",
        ),
        (
            status(407, ""),
            {},
            "407 Proxy Authentication Required (a proxy wants credentials: check HTTPS_PROXY / "
            "HTTP_PROXY)",
        ),
        (
            status(429, "slow down"),
            {"retries": 1},
            "429 Too Many Requests (2 tries; the server is limiting requests: try later)",
        ),
        (
            status(302, "", headers={"Location": "/login?next=/api/v1/query_range"}),
            {},
            "302 Found, redirected to /login?next=/api/v1/query_range (redirects are not "
            "followed: set prometheus.url to the final address)",
        ),
        (
            status(200, HTML, "text/html"),
            {},
            f"200 OK, but not a Prometheus API answer (text/html: {HTML!r})",
        ),
        (
            status(400, "bad request"),
            {},
            "400 Bad Request",
        ),
        (
            api_error(500, "internal", "storage \x1b[2Jfailed"),
            {"retries": 0},
            "500 Internal Server Error: internal: storage [2Jfailed (1 tries)",
        ),
        (
            status(200, DEEP, "application/json"),
            {},
            f"200 OK, but not a Prometheus API answer (application/json: {DEEP_SHOWN})",
        ),
        (
            status(500, DEEP, "application/json"),
            {"retries": 0},
            "500 Internal Server Error (1 tries)",
        ),
    ],
    ids=[
        *("401", "401-no-auth", "403", "404", "407", "429", "302", "html", "400", "500-api"),
        *("200-deep", "500-deep"),
    ],
)
def test_an_answer_not_about_the_query_stops_the_run_and_changes_nothing(
    tmp_path: Path,
    prometheus: PrometheusServer,
    out: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    answer: Answer,
    settings: dict[str, object],
    message: str,
) -> None:
    monkeypatch.setenv("PROM_TOKEN", "tok-s3cret")
    before = _snapshot(out)
    faults = Faults(answer=answer)
    with fault_proxy(prometheus.url, faults) as url:
        assert _run(_config(tmp_path, url, **settings), out) == 3
    err = capsys.readouterr().err
    assert err == f"error: Prometheus at {url}: {message}\n"
    assert _snapshot(out) == before
    assert "tok-s3cret" not in err


@pytest.mark.parametrize(
    ("settings", "key", "problem"),
    [
        (
            {"headers": '{X-Scope-OrgID: "tenant\\r\\nX-Evil: tok-s3cret"}'},
            "prometheus.headers.X-Scope-OrgID",
            "the value contains a line break",
        ),
        (
            {"bearer_token_env": "PROM_TOKEN"},
            "prometheus.bearer_token_env",
            "environment variable 'PROM_TOKEN' contains a line break",
        ),
    ],
    ids=["header", "token"],
)
def test_a_line_break_in_a_header_is_a_config_error_and_changes_nothing(
    tmp_path: Path,
    prometheus: PrometheusServer,
    out: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    settings: dict[str, object],
    key: str,
    problem: str,
) -> None:
    monkeypatch.setenv("PROM_TOKEN", "tok-s3cret\r\n")
    before = _snapshot(out)
    config = _config(tmp_path, prometheus.url, **settings)
    assert _run(config, out) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {config}: {key}: {problem}, which cannot go into an HTTP header")
    assert "tok-s3cret" not in err
    assert _snapshot(out) == before


def test_every_query_empty_stops_the_run_and_changes_nothing(
    tmp_path: Path, prometheus: PrometheusServer, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong tenant, the wrong server, data past retention: not a report of every goal at 0."""
    before = _snapshot(out)
    with fault_proxy(prometheus.url, Faults(answer=matrix([]))) as url:
        assert _run(_config(tmp_path, url), out) == 3
    assert capsys.readouterr().err == (
        f"error: Prometheus at {url} answered, but every query returned no series in the "
        "window: check prometheus.url, prometheus.headers (a tenant) and the server's "
        "retention; nothing was replaced\n"
    )
    assert _snapshot(out) == before


BAD_DATA = 'invalid parameter "query": 1:4: parse error: unclosed left parenthesis'
REJECTIONS = [
    (api_error(400, "bad_data", BAD_DATA), f"bad_data: {BAD_DATA}"),
    (document({"status": "error", "errorType": "bad_data", "error": "no"}), "bad_data: no"),
    (api_error(422, "execution", "too many samples"), "execution: too many samples"),
]
REJECTION_IDS = ["400-bad-data", "200-status-error", "422-execution"]


@pytest.mark.parametrize(
    ("answer", "said"),
    [(status(401, ""), "401 Unauthorized"), *REJECTIONS],
    ids=["401", *REJECTION_IDS],
)
def test_nothing_is_sent_when_the_source_is_unusable(
    tmp_path: Path,
    prometheus: PrometheusServer,
    capsys: pytest.CaptureFixture[str],
    answer: Answer,
    said: str,
) -> None:
    box = Inbox()
    with (
        SmtpServer(box) as smtp,
        fault_proxy(prometheus.url, Faults(answer=answer)) as url,
    ):
        good = schedule_config(tmp_path, prometheus.url, "0 2 * * *", smtp.port)
        assert _run(good, tmp_path / "out", "--email", "--format", "md") == 0
        sent = len(box.messages)
        before = _snapshot(tmp_path / "out")
        bad = schedule_config(tmp_path, url, "0 2 * * *", smtp.port)
        assert _run(bad, tmp_path / "out", "--email", "--resend", "--format", "md") == 3
    assert sent == 4 and len(box.messages) == sent  # the good night mailed, the bad one did not
    assert _snapshot(tmp_path / "out") == before
    assert said in capsys.readouterr().err


@pytest.mark.parametrize(
    "answer",
    [api_error(400, "bad_data", BAD_DATA), matrix([({"job": "a"}, [[DAY_START, "abc"]])])],
    ids=["400-bad-data", "malformed"],
)
def test_nothing_is_posted_to_chat_when_no_query_is_usable(
    tmp_path: Path, prometheus: PrometheusServer, monkeypatch: pytest.MonkeyPatch, answer: Answer
) -> None:
    out = tmp_path / "out"
    with chat_receiver() as hook, fault_proxy(prometheus.url, Faults(answer=answer)) as url:
        monkeypatch.setenv("CHAT_URL", f"json://{hook.url}/hook")
        channel = "notify:\n  - {name: team, url_env: CHAT_URL}\n"
        good, bad = shipped_config(tmp_path, prometheus.url), tmp_path / "bad.yaml"
        good.write_text(good.read_text() + channel)
        bad.write_text(good.read_text().replace(prometheus.url, url))
        assert _run(good, out, "--notify") == 0
        before = _snapshot(out)
        assert _run(bad, out, "--notify", "--resend") == 3
    assert len(hook.posts) == 1  # the good night's post only
    assert _snapshot(out) == before


@pytest.mark.parametrize(("answer", "said"), REJECTIONS, ids=REJECTION_IDS)
def test_every_query_rejected_stops_the_run_and_changes_nothing(
    tmp_path: Path,
    prometheus: PrometheusServer,
    out: Path,
    capsys: pytest.CaptureFixture[str],
    answer: Answer,
    said: str,
) -> None:
    """An all-error week is not a report: it would replace last night's good one."""
    before = _snapshot(out)
    with fault_proxy(prometheus.url, Faults(answer=answer)) as url:
        assert _run(_config(tmp_path, url, retries=0), out) == 3
    assert capsys.readouterr().err == (
        f"error: Prometheus at {url} answered, but rejected every query (check each goal's "
        f"query; nothing was replaced): {said}\n"
    )
    assert _snapshot(out) == before


TOO_LARGE = "the answer is larger than 1 MiB (raise prometheus.max_response_bytes to allow more)"
# a body that begins as a query result is asked again in shorter ranges, down to the floor
SPLIT = "split down to 60 points a request; "
TOO_LARGE_SPLIT = TOO_LARGE.replace("(", f"({SPLIT}")


@pytest.mark.parametrize(
    ("answer", "first"),
    [
        (gzip_bomb(64 << 20), TOO_LARGE_SPLIT),
        (endless(), TOO_LARGE),
        (status(200, " " * (2 << 20), "application/json"), TOO_LARGE),
        (
            matrix([({"job": "a"}, [[DAY_START, "abc"]])]),
            "sample 1 of series {job=\"a\"} is not a number: 'abc'",
        ),
        (
            matrix(({"job": str(i)}, [[DAY_START, "1"]]) for i in range(30)),
            "the query returned more than 20 series (raise prometheus.max_series_per_goal to "
            "allow more)",
        ),
    ],
    ids=["gzip-bomb", "endless", "content-length", "malformed", "too-many-series"],
)
def test_no_usable_answer_for_any_query_stops_the_run_and_changes_nothing(
    tmp_path: Path,
    prometheus: PrometheusServer,
    out: Path,
    capsys: pytest.CaptureFixture[str],
    answer: Answer,
    first: str,
) -> None:
    before = _snapshot(out)
    with fault_proxy(prometheus.url, Faults(answer=answer)) as url:
        config = _config(tmp_path, url, max_response_bytes=1 << 20, max_series_per_goal=20)
        assert _run(config, out) == 3
    assert capsys.readouterr().err == (
        f"error: Prometheus at {url} answered, but no query got a usable response: {first}\n"
    )
    assert _snapshot(out) == before


def test_one_query_answered_among_rejected_ones_is_scored(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    """Not unusable: every goal but one is `error`, that one is scored."""
    answer = api_error(400, "bad_data", BAD_DATA)
    with fault_proxy(prometheus.url, Faults(answer=answer, spare="tst_gap")) as url:
        assert _run(_config(tmp_path, url), tmp_path / "out") == 0
    goals = _summary(tmp_path / "out")
    assert goals["gap"]["status"] == "met"
    assert {g["status"] for i, g in goals.items() if i != "gap"} == {"error"}
    assert goals["const_min"]["message"] == f"bad_data: {BAD_DATA}"


def test_every_query_empty_or_failed_stops_the_run_and_changes_nothing(
    tmp_path: Path, prometheus: PrometheusServer, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong tenant in front of a config with one broken query: still nothing to report."""
    before = _snapshot(out)
    with fault_proxy(prometheus.url, Faults(answer=matrix([]), spare="sum(")) as url:
        assert _run(_config(tmp_path, url), out) == 3
    err = capsys.readouterr().err
    assert err.startswith(
        f"error: Prometheus at {url} answered, but no query returned a series in the window "
        "and 1 of 6 failed (the first: bad_data: "
    )
    assert err.endswith(
        "): check prometheus.url, prometheus.headers (a tenant) and the server's retention; "
        "nothing was replaced\n"
    )
    assert _snapshot(out) == before


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            status(403, "denied"),
            "403 Forbidden (the credentials are not allowed to query this server)",
        ),
        (
            status(200, DEEP, "application/json"),
            f"200 OK, but not a Prometheus API answer (application/json: {DEEP_SHOWN})",
        ),
        (status(500, DEEP, "application/json"), "500 Internal Server Error (2 tries)"),
    ],
    ids=["403", "200-deep", "500-deep"],
)
def test_validate_says_the_same(
    tmp_path: Path,
    prometheus: PrometheusServer,
    capsys: pytest.CaptureFixture[str],
    answer: Answer,
    message: str,
) -> None:
    with fault_proxy(prometheus.url, Faults(answer=answer)) as url:
        assert main(["validate", "--config", str(_config(tmp_path, url))]) == 3
    assert capsys.readouterr().err == f"error: Prometheus at {url}: {message}\n"


def test_validate_lists_every_rejected_query_instead_of_stopping(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """validate is where a user fixes wrong PromQL: every query's verdict, exit 2 (not 3)."""
    answer = api_error(400, "bad_data", "parse error")
    with fault_proxy(prometheus.url, Faults(answer=answer)) as url:
        assert main(["validate", "--config", str(_config(tmp_path, url))]) == 2
    captured = capsys.readouterr()
    assert captured.out.count("no: bad_data: parse error") == 8
    rejected = [line for line in captured.err.splitlines() if "the server rejects" in line]
    assert len(rejected) == 8 and rejected[0].endswith("'ramp_mean': bad_data: parse error")


def test_a_password_in_the_url_is_masked(
    tmp_path: Path, prometheus: PrometheusServer, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    faults = Faults(answer=status(401, ""))
    with fault_proxy(prometheus.url, faults) as url:
        secret_url = url.replace("http://", "http://reports:pa55word@")
        assert _run(_config(tmp_path, secret_url), out) == 3
    err = capsys.readouterr().err
    assert err.startswith(f"error: Prometheus at {url.replace('//', '//reports:***@')}: 401 ")
    assert "pa55word" not in err
    assert faults.requests[0]["Authorization"].startswith("Basic ")  # still used to log in


def test_an_untrusted_certificate_says_so(
    tmp_path: Path, prometheus: PrometheusServer, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cert, key = self_signed_cert(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    before = _snapshot(out)
    with fault_proxy(prometheus.url, Faults(), tls=tls) as url:
        assert _run(_config(tmp_path, url), out) == 3
    assert capsys.readouterr().err == (
        f"error: Prometheus at {url}: certificate verify failed: self-signed certificate\n"
    )
    assert _snapshot(out) == before


def _timed(tmp_path: Path, url: str, out: Path, **settings: object) -> tuple[int, str, float]:
    """The run in a subprocess: a hang fails the test instead of holding the suite."""
    config = _config(tmp_path, url, **settings)
    started = time.monotonic()
    done = subprocess.run(
        pipeline_command(1, config, out, "-q"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stderr, time.monotonic() - started


@pytest.mark.parametrize(
    ("answer", "retries", "message"),
    [
        (drip(0.2), 1, "no complete answer within 1s (2 tries)"),
        (stall(), 1, "no complete answer within 1s (2 tries)"),
        (
            status(503, "busy", headers={"Retry-After": "86400"}),
            2,
            "503 Service Unavailable (3 tries)",
        ),
    ],
    ids=["drip", "stall", "retry-after-a-day"],
)
def test_a_stalled_source_ends_within_the_documented_bound(
    tmp_path: Path,
    prometheus: PrometheusServer,
    out: Path,
    answer: Answer,
    retries: int,
    message: str,
) -> None:
    before = _snapshot(out)
    timeout_s = 1
    bound = (2 * retries + 1) * timeout_s  # README: (retries + 1) x timeout_s + waits <= timeout_s
    with fault_proxy(prometheus.url, Faults(answer=answer)) as url:
        code, err, elapsed = _timed(tmp_path, url, out, timeout_s=timeout_s, retries=retries)
    assert (code, err) == (3, f"error: Prometheus at {url}: {message}\n")
    assert elapsed < bound + START_UP_S
    assert _snapshot(out) == before


def test_retry_after_is_honoured_up_to_timeout_s(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    once = status(503, "busy", headers={"Retry-After": "86400"})
    faults = Faults(match="tst_const", answer_first=[once])
    with fault_proxy(prometheus.url, faults) as url:
        code, err, elapsed = _timed(tmp_path, url, tmp_path / "out", timeout_s=2, retries=1)
    assert (code, err) == (0, "")
    assert faults.queries.count("tst_const") == 2  # a 503, its retry: the whole day
    assert elapsed < 2 + START_UP_S


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (gzip_bomb(64 << 20), f"the answer is larger than 1 MiB ({SPLIT}"),
        (endless(), "the answer is larger than 1 MiB ("),
        (status(200, " " * (2 << 20), "application/json"), "the answer is larger than 1 MiB ("),
    ],
    ids=["gzip-bomb", "endless", "content-length"],
)
def test_an_answer_over_max_response_bytes_is_that_goals_error(
    tmp_path: Path, prometheus: PrometheusServer, answer: Answer, message: str
) -> None:
    faults = Faults(match="tst_const", answer=answer)
    with fault_proxy(prometheus.url, faults) as url:
        config = _config(tmp_path, url, max_response_bytes=1 << 20)
        assert _run(config, tmp_path / "out") == 0
    goals = _summary(tmp_path / "out")
    assert goals["const_min"]["status"] == "error"
    assert goals["const_min"]["message"] == (
        f"{message}raise prometheus.max_response_bytes to allow more)"
    )
    assert goals["ramp_mean"]["status"] == "met"


def _peak_rss_mb(command: list[str]) -> tuple[int, float]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status_code, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status_code)
    return process.returncode, usage.ru_maxrss / 1024


def test_a_gzip_bomb_stays_within_the_default_cap_in_memory(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    # 512 KiB of gzip that inflates to 512 MiB: it used to take 2.7 GB
    faults = Faults(match="tst_const", answer=gzip_bomb(512 << 20))
    with fault_proxy(prometheus.url, faults) as url:
        config = _config(tmp_path, url)
        code, peak_mb = _peak_rss_mb(pipeline_command(1, config, tmp_path / "out", "-q"))
    assert code == 0
    assert _summary(tmp_path / "out")["const_min"]["message"].startswith(  # type: ignore[union-attr]
        "the answer is larger than 256 MiB"
    )
    assert peak_mb < 700, peak_mb  # 350 MB here: the cap, plus start-up


@pytest.mark.parametrize("answer", [gzip_bomb(512 << 20), endless()], ids=["gzip-bomb", "endless"])
def test_every_query_over_the_default_cap_stays_under_1_gb_and_changes_nothing(
    tmp_path: Path, prometheus: PrometheusServer, good_night: Path, answer: Answer
) -> None:
    # 512 MiB of spaces (gzip) or an endless body for every query: 2.1 to 2.7 GB, exit 0 before
    out = tmp_path / "out"
    shutil.copytree(good_night, out)
    before = _snapshot(out)
    with fault_proxy(prometheus.url, Faults(answer=answer)) as url:
        code, peak_mb = _peak_rss_mb(pipeline_command(1, _config(tmp_path, url), out, "-q"))
    assert code == 3
    assert peak_mb < 1000, peak_mb
    assert _snapshot(out) == before


@pytest.mark.parametrize(("floor", "lane"), [(1440, True), (60, False)], ids=["floor", "cut"])
def test_answers_over_a_quarter_of_the_cap_take_turns_or_are_cut_and_are_all_scored(
    tmp_path: Path,
    prometheus: PrometheusServer,
    good_night: Path,
    monkeypatch: pytest.MonkeyPatch,
    floor: int,
    lane: bool,
) -> None:
    """Most answers here (~30-50 kB for the day) are past 25 kB. With the day as the floor
    (min_points_per_request) no range can be cut: they hold the run's lane in turn, none waits
    for ever. With the default floor each is stopped at 25 kB and its day asked again in
    shorter ranges, which never need the lane. The week is the same as with the default cap."""
    turns: list[float] = []
    take = Lane.take

    def counted(lane: Lane, stopped: Callable[[], bool]) -> Callable[[], None]:
        turns.append(lane.free_bytes)
        return take(lane, stopped)

    monkeypatch.setattr(Lane, "take", counted)
    config = _config(
        tmp_path, prometheus.url, max_response_bytes=100_000, min_points_per_request=floor
    )
    assert _run(config, tmp_path / "out") == 0
    if lane:
        assert len(turns) >= 3 and set(turns) == {25_000}
    else:
        assert turns == []
    assert _summary(tmp_path / "out") == _summary(good_night)


def test_more_series_than_max_series_per_goal_is_that_goals_error(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    many = matrix(({"job": str(i)}, [[DAY_START, "1"]]) for i in range(30))
    with fault_proxy(prometheus.url, Faults(match="tst_const", answer=many)) as url:
        assert _run(_config(tmp_path, url, max_series_per_goal=20), tmp_path / "out") == 0
    goals = _summary(tmp_path / "out")
    assert goals["const_min"]["status"] == "error"
    assert goals["const_min"]["message"] == (
        "the query returned more than 20 series (raise prometheus.max_series_per_goal to allow "
        "more)"
    )
    assert goals["ramp_mean"]["status"] == "met"


T = [DAY_START + 60 * i for i in range(4)]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            matrix([({"job": "a"}, [[T[0], "1"], [T[1], "2"], [T[2], "3"], [T[3], "abc"]])]),
            "sample 4 of series {job=\"a\"} is not a number: 'abc'",
        ),
        (matrix([("oops", [[T[0], "1"]])]), "the metric of series 1 is not an object: 'oops'"),
        (matrix([({"job": "a"}, None)]), 'the values of series {job="a"} are not a list: None'),
        (
            matrix([({"job": "a"}, [[T[0], "1"], [T[1]]])]),
            'sample 2 of series {job="a"} is not a [time, value] pair',
        ),
        (
            document({"status": "success", "data": {"resultType": "matrix", "result": 7}}),
            "data.result is not a list of series: 7",
        ),
    ],
    ids=["not-a-number", "metric-not-object", "values-null", "short-sample", "result-not-list"],
)
def test_malformed_data_is_that_goals_error_and_the_others_are_scored(
    tmp_path: Path, prometheus: PrometheusServer, answer: Answer, message: str
) -> None:
    with fault_proxy(prometheus.url, Faults(match="tst_const", answer=answer)) as url:
        assert _run(_config(tmp_path, url), tmp_path / "out") == 0
    goals = _summary(tmp_path / "out")
    assert (goals["const_min"]["status"], goals["const_min"]["message"]) == ("error", message)
    assert goals["ramp_mean"]["status"] == "met"
    assert goals["gap"]["status"] == "met"


def test_samples_off_the_grid_or_outside_the_window_are_dropped(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    last = DAY_START + 60 * (MINUTES - 1)
    values = [
        [DAY_START - 60, "-1000"],  # before the first grid point
        [DAY_START, "10"],
        [DAY_START + 30, "-1000"],  # between grid points
        [DAY_START + 60, "12"],
        [DAY_START + 60.0004, "12"],  # the same grid point again (millisecond jitter)
        [last + 60, "-1000"],  # after the last grid point
    ]
    answer = matrix([({"job": "a"}, values)])
    with fault_proxy(prometheus.url, Faults(match="tst_const", answer=answer)) as url:
        assert _run(_config(tmp_path, url), tmp_path / "out") == 0
    const = _summary(tmp_path / "out")["const_min"]
    assert (const["value"], const["status"]) == (10, "at_risk")
    assert const["coverage"] == pytest.approx(2 / MINUTES)


def test_a_query_rejected_with_a_503_timeout_is_that_goals_error(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    answer = api_error(503, "timeout", "query timed out in expression evaluation")
    with fault_proxy(prometheus.url, Faults(match="tst_const", answer=answer)) as url:
        assert _run(_config(tmp_path, url, retries=0), tmp_path / "out") == 0
    const = _summary(tmp_path / "out")["const_min"]
    assert const["message"] == "timeout: query timed out in expression evaluation"


MATH = r"$\frac{1}{$"
NASTY = "[/x] [bold]loud[/bold] \x1b]8;;http://127.0.0.1:9/\x07link\x1b]8;;\x07 \x1b[2Jgone"


def _text_config(tmp_path: Path, url: str) -> Path:
    """HANDMADE with a goal name and unit that are markup and mathtext, charts drawn."""
    text = HANDMADE.replace("name: Const,", "name: 'Latency [p95] $5',").replace(
        "aggregate: min,", f"unit: '{MATH}', aggregate: min,"
    )
    return write_config(tmp_path / "c.yaml", text, url)


def test_labels_units_and_server_messages_are_text_in_charts(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    labelled = matrix([({"job": MATH}, [[DAY_START, "10"]])])
    faults = Faults(match="tst_const", answer=labelled)
    with fault_proxy(prometheus.url, faults) as url:
        first = _text_config(tmp_path, url)
        assert _run(first, tmp_path / "out", "--format", "md,html") == 0
    charts = tmp_path / "out" / "week-01" / "charts" / "goals"
    assert (charts / "const_min.png").stat().st_size > 0
    rejected = api_error(422, "execution", f"cannot {MATH} evaluate")
    with fault_proxy(prometheus.url, Faults(match="tst_const", answer=rejected)) as url:
        assert _run(_text_config(tmp_path, url), tmp_path / "out2", "--format", "md") == 0
    assert (
        _summary(tmp_path / "out2")["const_min"]["message"] == f"execution: cannot {MATH} evaluate"
    )


def test_lone_surrogates_in_labels_and_messages_are_replaced_not_fatal(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    # JSON can escape half a UTF-16 pair; no file, font or terminal takes it (it crashed charts)
    labelled = matrix([({"job": "a\ud800b"}, [[DAY_START, "10"]])])
    with fault_proxy(prometheus.url, Faults(match="tst_const", answer=labelled)) as url:
        assert _run(_text_config(tmp_path, url), tmp_path / "out", "--format", "md,html,pdf") == 0
    [series] = _summary(tmp_path / "out")["const_min"]["series"]
    assert series["labels"] == {"job": "a\ufffdb"}
    rejected = api_error(422, "execution", "cannot \udfff evaluate")
    with fault_proxy(prometheus.url, Faults(match="tst_const", answer=rejected)) as url:
        assert _run(_text_config(tmp_path, url), tmp_path / "out2", "--format", "md,pdf") == 0
    message = _summary(tmp_path / "out2")["const_min"]["message"]
    assert message == "execution: cannot \ufffd evaluate"


def test_server_text_is_not_markup_nor_terminal_control_in_validate(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = api_error(422, "execution", NASTY)
    with fault_proxy(prometheus.url, Faults(match="tst_const", answer=answer)) as url:
        assert main(["validate", "--config", str(_text_config(tmp_path, url))]) == 2
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "[/x] [bold]loud[/bold]" in " ".join(out.replace("│", " ").split())


def test_a_goal_name_in_brackets_is_printed_as_is(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _text_config(tmp_path, prometheus.url)
    assert _run(config, tmp_path / "out", "--dry-run") == 0
    assert "Latency [p95] $5" in capsys.readouterr().out


def test_control_characters_never_reach_the_terminal_in_errors(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = api_error(500, "internal", NASTY)
    with fault_proxy(prometheus.url, Faults(answer=answer)) as url:
        assert _run(_config(tmp_path, url, retries=0), tmp_path / "out") == 3
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "[/x] [bold]loud[/bold]" in err
