"""One goal with 20,000 series of 168 samples (hourly) over a week at step 1m: score and chart.

Run alone it prints one JSON line: wall time, peak RSS of this process and the goal's status.
`run_bench.py --before REV` runs it against the code of REV too (same machine, same run), so
the two figures compare. It uses only the stage API that exists before and after issue 9.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=168)
    parser.add_argument("--serve", type=Path, help="serve this file to every GET; print the URL")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve.read_bytes())
        return

    from pipeline.core.model import QueryResult, Series, Window
    from pipeline.core.settings import GoalSpec
    from pipeline.core.targets import parse_target
    from pipeline.report.charts.draw import draw_goal_chart
    from pipeline.scoring.score import score_goal

    start = datetime(2026, 11, 2, tzinfo=UTC)
    step = 60.0
    expected = 7 * 24 * 60
    window = Window(
        1, start, start + timedelta(days=7), True, "UTC", step, start.timestamp(), expected
    )
    rng = np.random.default_rng(1)
    every = expected // args.samples
    ts = start.timestamp() + step * every * np.arange(args.samples, dtype=np.float64)
    result = QueryResult(
        "q",
        tuple(
            Series((("customer", f"c{i:05d}"),), ts, rng.normal(100, 10, args.samples))
            for i in range(args.series)
        ),
    )
    spec = GoalSpec(
        "g", "G", "technical", "q", "ms", "p95",
        parse_target("< 120"), parse_target("< 130"), None, 1.0, False,
    )  # fmt: skip
    began = time.perf_counter()
    goal = score_goal(spec, result, expected, "fail")
    with tempfile.TemporaryDirectory() as tmp:
        draw_goal_chart(goal, result, window, Path(tmp) / "g.png")
    report = {
        "series": args.series,
        "samples": args.samples,
        "seconds": round(time.perf_counter() - began, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "status": goal.status,
    }
    print(json.dumps(report))
    sys.stdout.flush()


def serve(body: bytes) -> None:
    """Answer each range query with the samples of `body` (a range answer) inside the range
    asked, as Prometheus would (the pipeline asks in chunks), until killed; the URL goes to
    stdout first."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs, urlsplit

    series = json.loads(body)["data"]["result"]

    def answer(start: float, end: float) -> bytes:
        result = [
            {"metric": s["metric"], "values": [v for v in s["values"] if start <= v[0] <= end]}
            for s in series
        ]
        kept = [r for r in result if r["values"]]
        document = {"status": "success", "data": {"resultType": "matrix", "result": kept}}
        return json.dumps(document, separators=(",", ":")).encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            asked = parse_qs(urlsplit(self.path).query)
            data = answer(float(asked["start"][0]), float(asked["end"][0]))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
