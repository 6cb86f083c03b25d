"""Small purpose-built series whose right answers are worked out by hand in the tests.

All live on 2026-11-02 (UTC), one sample a minute, 1440 samples: a one-day "week".
"""

from __future__ import annotations

DAY_START = 1793577600  # 2026-11-02T00:00:00Z
MINUTES = 1440

# A config over the handmade series: one-day weeks from 2026-11-02, a goal for each oddity.
HANDMADE = """
prometheus: {url: "http://127.0.0.1:9090", retries: 1}
sprint: {name: Handmade, start: 2026-11-02, week_days: 1, step: 1m}
scoring:
  categories: {technical: {weight: 0.4}, customer: {weight: 0.6}}
  no_data: fail
goals:
  - {id: ramp_mean, name: Ramp mean, category: technical, query: tst_ramp, aggregate: mean,
     target: ">= 700"}
  - {id: ramp_p90, name: Ramp p90, category: technical, query: tst_ramp, aggregate: p90,
     target: "< 1000", warning: "< 1300"}
  - {id: ramp_compliance, name: Ramp compliance, category: technical, query: tst_ramp,
     aggregate: compliance, sample_target: "< 720", target: ">= 99"}
  - {id: const_min, name: Const, category: customer, query: tst_const, aggregate: min,
     target: ">= 15", warning: ">= 5", key: true}
  - {id: gap, name: Gap, category: customer, query: tst_gap, aggregate: last, target: "== 1"}
  - {id: nan, name: NaN, category: customer, query: tst_nan, aggregate: mean, target: "== 3"}
  - {id: absent, name: Absent, category: customer, query: tst_absent_metric, aggregate: last,
     target: ">= 1"}
  - {id: broken, name: Broken, category: customer, query: "sum(tst_ramp", aggregate: last,
     target: ">= 1"}
agents:
  - {id: one, name: Agent One, goals: [ramp_mean, const_min]}
  - {id: two, name: Agent Two, goals: [gap, nan, absent, broken]}
report: {formats: [md]}
"""


def handmade_openmetrics() -> str:
    """OpenMetrics text for the handmade series (no `# EOF`: the demo file's end is used)."""
    lines: list[str] = []

    def series(name: str, labels: str, values: list[str], start: int = 0) -> None:
        for i, value in enumerate(values):
            lines.append(f"{name}{labels} {value} {DAY_START + 60 * (start + i)}")

    # tst_ramp = minute index: 0, 1, ..., 1439.
    series("tst_ramp", "", [str(i) for i in range(MINUTES)])
    # Two constant series: job a = 10, job b = 20.
    series("tst_const", '{job="a"}', ["10"] * MINUTES)
    series("tst_const", '{job="b"}', ["20"] * MINUTES)
    # tst_gap: 1 during the first 12 hours only.
    series("tst_gap", "", ["1"] * (MINUTES // 2))
    # tst_nan: NaN on odd minutes, 3 on even minutes.
    series("tst_nan", "", ["NaN" if i % 2 else "3" for i in range(MINUTES)])
    # tst_label: a label value that is markup, to prove reports treat labels as data.
    series(
        "tst_label",
        '{customer="<img src=\\"http://127.0.0.1:9/x\\"> | *bold*"}',
        ["5"] * MINUTES,
    )
    # ... and one that an autolinker would end just before its `<` (issue 8).
    series("tst_label", '{customer="http://h/a<img src=x onerror=alert(1)>"}', ["50"] * MINUTES)
    # tst_inf: 1 every minute, but +Inf at minute 100 and -Inf at minute 200.
    series(
        "tst_inf", "", ["+Inf" if i == 100 else "-Inf" if i == 200 else "1" for i in range(MINUTES)]
    )
    # tst_counter: +60 a minute, reset to 0 at minute 720 (a restart).
    series("tst_counter", "", [str(60 * (i if i < 720 else i - 720)) for i in range(MINUTES)])
    # tst_many: 5,000 series, one sample an hour; series i has value i % 200.
    for n in range(5000):
        for hour in range(24):
            lines.append(f'tst_many{{n="{n:04d}"}} {n % 200} {DAY_START + 3600 * hour}')
    # tst_week_gap: one sample a minute over the demo's week 1, but none on days 3 and 4.
    series("tst_week_gap", "", ["7"] * (2 * MINUTES))
    series("tst_week_gap", "", ["7"] * (3 * MINUTES), start=4 * MINUTES)
    return "\n".join(lines) + "\n"
