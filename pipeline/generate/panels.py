"""The dashboard's panels, built with grafana-foundation-sdk's builders (Grafana 11.6 models).

Every query reads the metrics `pipeline/outputs/metrics.py` pushes (filtered to the sprint and
the `week` variable), except a goal panel's first, which is the goal's own query.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from grafana_foundation_sdk.builders import barchart, prometheus, stat, table, text, timeseries
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models.prometheus import PromQueryFormat
from grafana_foundation_sdk.models.text import TextMode

from pipeline.core.outcomes import Status
from pipeline.core.settings import GoalSpec
from pipeline.core.targets import Target
from pipeline.generate import promql
from pipeline.outputs.metrics import PREFIX
from pipeline.scoring.score import judge

DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
COLORS = {Status.MET: "green", Status.AT_RISK: "orange", Status.MISSED: "red"}
STATUS_SHOWN = {
    Status.MET: ("met", "green"),
    Status.AT_RISK: ("at risk", "orange"),
    Status.MISSED: ("missed", "red"),
    Status.NO_DATA: ("no data", "purple"),
    Status.ERROR: ("error", "dark-red"),
}
_UNITS = {"%": "percent", "ms": "ms", "s": "s", "seconds": "s", "days": "d", "bytes": "bytes"}
FORECAST = ("0.1", "forecast p10"), ("0.5", "forecast p50"), ("0.9", "forecast p90")
HORIZONS = ("week_end", "the week's end"), ("sprint_end", "the sprint's end")


def threshold_steps(target: Target, warning: Target | None) -> list[model.Threshold]:
    """Grafana threshold steps (each colours values >= its own) that match the statuses exactly:
    the colour of each step is the status scoring's `judge` gives a value there.

    Each bound b is a step at b and at the next float above it, so strict and inclusive bounds
    both come out right; then neighbours of the same colour are merged.
    """
    bounds = [b for t in (target, warning) if t for b in {t.low, t.high}]
    points = sorted({p for b in bounds for p in (b, math.nextafter(b, math.inf))})
    steps = [model.Threshold(value=None, color=COLORS[judge(-math.inf, target, warning)])]
    for point in points:
        color = COLORS[judge(point, target, warning)]
        if color != steps[-1].color:
            steps.append(model.Threshold(value=point, color=color))
    return steps


def grafana_unit(unit: str) -> str:
    """A Grafana unit id for the goal's unit; any other unit is shown as a suffix."""
    return _UNITS.get(unit, f"suffix: {unit}" if unit else "none")


@dataclass(frozen=True)
class Metrics:
    """PromQL selectors of one sprint's pushed metrics."""

    sprint: str

    def of(
        self, name: str, week: bool = True, regex: tuple[str, str] | None = None, **labels: str
    ) -> str:
        """`sprint_convergence_<name>{sprint="...",<labels>,week="$week"}`; `regex`: one more
        label and the regular expression its value must match."""
        pairs = [("sprint", "=", self.sprint), *((k, "=", v) for k, v in labels.items())]
        if regex:
            pairs.append((regex[0], "=~", regex[1]))
        inside = ",".join(f"{k}{op}{promql.string(v)}" for k, op, v in pairs)
        return f"{PREFIX}{name}{{{inside}" + (',week="$week"}' if week else "}")


def query(ref: str, expr: str, legend: str, instant: bool = False) -> prometheus.Dataquery:
    """A Prometheus query of the `datasource` variable: instant (stat, table), else a range."""
    built = prometheus.Dataquery().ref_id(ref).expr(expr).legend_format(legend)
    built = built.datasource(DATASOURCE)
    return built.instant() if instant else built.range()


def _table_query(ref: str, expr: str) -> prometheus.Dataquery:
    return query(ref, expr, "__auto", instant=True).format(PromQueryFormat.TABLE)


def _steps(*pairs: tuple[float | None, str]) -> dashboard_builders.ThresholdsConfig:
    steps = [model.Threshold(value=value, color=color) for value, color in pairs]
    return dashboard_builders.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE).steps(steps)


def _verdict_steps(pass_score: float, warning_score: float) -> dashboard_builders.ThresholdsConfig:
    return _steps((None, "red"), (warning_score, "orange"), (pass_score, "green"))


def _fixed(color: str) -> model.DynamicConfigValue:
    return model.DynamicConfigValue(
        id_val="color", value=model.FieldColor(mode=model.FieldColorModeId.FIXED, fixed_color=color)
    )


def _reduce_last() -> common_builders.ReduceDataOptions:
    return common_builders.ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False)


def score_panel(
    title: str, score: str, verdict: str, pass_score: float, warning_score: float
) -> stat.Panel:
    """A stat panel: the week's score (coloured by the verdict's thresholds) and its verdict."""
    shown = model.ValueMap({"1": model.ValueMappingResult(text="verdict", index=0)})
    return (
        stat.Panel()
        .title(title)
        .datasource(DATASOURCE)
        .with_target(query("A", score, "score", instant=True))
        .with_target(query("B", f"{verdict} == 1", "{{verdict}}", instant=True))
        .reduce_options(_reduce_last())
        .text_mode(common.BigValueTextMode.VALUE_AND_NAME)
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .graph_mode(common.BigValueGraphMode.NONE)
        .min(0)
        .max(100)
        .decimals(1)
        .thresholds(_verdict_steps(pass_score, warning_score))
        .override_by_query(
            "B", [model.DynamicConfigValue(id_val="mappings", value=[shown]), _fixed("text")]
        )
    )


def outlook_panel(metrics: Metrics, pass_score: float, warning_score: float) -> stat.Panel:
    """A stat panel of the forecast: the verdict the median score would get at the week's and
    the sprint's end (pushed only while a forecast looks there), and the chance of ACHIEVED."""
    verdicts = [
        model.RangeMap(model.DashboardRangeMapOptions(low, high, model.ValueMappingResult(t, c)))
        for low, high, t, c in (
            (pass_score, 100.0, "ACHIEVED", "green"),
            (warning_score, math.nextafter(pass_score, -math.inf), "AT RISK", "orange"),
            (0.0, math.nextafter(warning_score, -math.inf), "MISSED", "red"),
        )
    ]
    panel = (
        stat.Panel()
        .title("Expected verdict and chance of ACHIEVED")
        .description(
            "The verdict of the forecast's median score, and the chance the sprint is ACHIEVED,"
            " at the end of the week in progress and of the sprint (empty once it is past)."
        )
        .datasource(DATASOURCE)
        .reduce_options(_reduce_last())
        .text_mode(common.BigValueTextMode.VALUE_AND_NAME)
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .graph_mode(common.BigValueGraphMode.NONE)
        .thresholds(_verdict_steps(pass_score, warning_score))
    )
    chance = [
        model.DynamicConfigValue(id_val="unit", value="percentunit"),
        model.DynamicConfigValue(id_val="decimals", value=0),
        model.DynamicConfigValue(id_val="thresholds", value=_steps((None, "blue")).build()),
    ]
    for n, (horizon, said) in enumerate(HORIZONS):
        expected, odds = f"E{n}", f"P{n}"
        median = f"max({metrics.of('score_p50', scope='overall', horizon=horizon)})"
        p = f"max({metrics.of('p_achieved', scope='overall', horizon=horizon)})"
        panel = panel.with_target(query(expected, median, f"expected at {said}", instant=True))
        panel = panel.with_target(query(odds, p, f"chance ACHIEVED at {said}", instant=True))
        panel = panel.override_by_query(
            expected, [model.DynamicConfigValue(id_val="mappings", value=verdicts)]
        )
        panel = panel.override_by_query(odds, chance)
    return panel


def weeks_panel(metrics: Metrics, pass_score: float, warning_score: float) -> barchart.Panel:
    """A bar chart of the sprint's score in each week pushed (the `week` label), in week order."""
    score = f"max by (week) ({metrics.of('score', week=False, scope='overall')})"

    def convert(to: str) -> model.DataTransformerConfig:
        conversion = {"targetField": "week", "destinationType": to}
        return model.DataTransformerConfig(
            id_val="convertFieldType", options={"conversions": [conversion], "fields": {}}
        )

    organize = {"excludeByName": {"Time": True}, "renameByName": {"Value": "score"}}
    return (
        barchart.Panel()
        .title("Score by week")
        .datasource(DATASOURCE)
        .with_target(_table_query("A", score))
        .transformations(
            [
                convert("number"),  # "10" after "9", then back to a label for the x axis
                model.DataTransformerConfig(
                    id_val="sortBy", options={"fields": {}, "sort": [{"field": "week"}]}
                ),
                convert("string"),
                model.DataTransformerConfig(id_val="organize", options=organize),
            ]
        )
        .x_field("week")
        .show_value(common.VisibilityMode.AUTO)
        .min(0)
        .max(100)
        .decimals(1)
        .thresholds(_verdict_steps(pass_score, warning_score))
        .color_scheme(dashboard_builders.FieldColor().mode(model.FieldColorModeId.THRESHOLDS))
        .axis_label("week")
    )


def goals_table(metrics: Metrics, goals: tuple[GoalSpec, ...]) -> table.Panel:
    """One row per goal of the week: its status, value, target bounds and chance of being met
    at the week's end (pushed only while the week is in progress)."""
    queries = [
        ("A", "status", f"max by (goal, status) ({metrics.of('goal_status')} == 1)"),
        ("B", "value", f"max by (goal) ({metrics.of('goal_value')})"),
        ("C", "target min", f"max by (goal) ({metrics.of('goal_target', bound='target_min')})"),
        ("D", "target max", f"max by (goal) ({metrics.of('goal_target', bound='target_max')})"),
        (
            "E",
            "chance met at the week's end",
            f"max by (goal) ({metrics.of('goal_p_met', horizon='week_end')})",
        ),
    ]
    rename = {f"Value #{ref}": name for ref, name, _ in queries[1:]}
    names = {g.id: model.ValueMappingResult(text=g.name, index=i) for i, g in enumerate(goals)}
    shown = {
        s.value: model.ValueMappingResult(text=said, color=color, index=i)
        for i, (s, (said, color)) in enumerate(STATUS_SHOWN.items())
    }
    panel = table.Panel().title("Goals this week").datasource(DATASOURCE)
    for ref, _, expr in queries:
        panel = panel.with_target(_table_query(ref, expr))
    organize = {
        "excludeByName": {"Value #A": True},
        "indexByName": {"goal": 0, "status": 1, **{n: i + 2 for i, n in enumerate(rename)}},
        "renameByName": rename,
    }
    return (
        panel.transformations(
            [
                model.DataTransformerConfig(
                    id_val="joinByField", options={"byField": "goal", "mode": "outer"}
                ),
                model.DataTransformerConfig(
                    id_val="filterFieldsByName", options={"exclude": {"pattern": "^Time.*"}}
                ),
                model.DataTransformerConfig(id_val="organize", options=organize),
            ]
        )
        .override_by_name("goal", [model.DynamicConfigValue("mappings", [model.ValueMap(names)])])
        .override_by_name(
            "status",
            [
                model.DynamicConfigValue("mappings", [model.ValueMap(shown)]),
                model.DynamicConfigValue(
                    "custom.cellOptions", common.TableColoredBackgroundCellOptions()
                ),
            ],
        )
        .override_by_name(
            "chance met at the week's end",
            [
                model.DynamicConfigValue("unit", "percentunit"),
                model.DynamicConfigValue("decimals", 0),
            ],
        )
    )


def goal_panel(spec: GoalSpec, metrics: Metrics) -> timeseries.Panel:
    """A time series of the goal's query against its target and warning (thresholds), the
    target's bounds and the forecast of the week's end value (p10 to p90) from the pushed
    metrics. A compliance goal's panel shows its samples against `sample_target` only: its
    pushed target and forecast are of the share of samples, not of a sample."""
    panel = (
        timeseries.Panel()
        .title(spec.name)
        .datasource(DATASOURCE)
        .with_target(query("A", spec.query, "__auto"))
        .unit(grafana_unit(spec.unit))
        .color_scheme(dashboard_builders.FieldColor().mode(model.FieldColorModeId.PALETTE_CLASSIC))
        .thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(
                common.GraphThresholdsStyleMode.LINE_AND_AREA
            )
        )
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.LIST)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
    )
    if spec.sample_target is not None:
        bounds = f"each sample {spec.sample_target}; target {spec.target} of the samples"
        return panel.description(
            f"{bounds}. The report scores the week's {spec.aggregate}."
        ).thresholds(
            dashboard_builders.ThresholdsConfig()
            .mode(model.ThresholdsMode.ABSOLUTE)
            .steps(threshold_steps(spec.sample_target, None))
        )
    bounds = f"target {spec.target}" + (f", warning {spec.warning}" if spec.warning else "")
    target = metrics.of("goal_target", goal=spec.id, regex=("bound", "target_.+"))
    steps = threshold_steps(spec.target, spec.warning)
    if spec.relative is not None:  # its bound moves each week: only the pushed bound's line
        bounds += " against a baseline of earlier weeks (each week's bound: the dashed line)"
        steps = [model.Threshold(value=None, color="transparent")]
        panel = panel.thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.OFF)
        )
    panel = (
        panel.description(
            f"{bounds}. The report scores the week's {spec.aggregate}; the forecast band is where"
            " that value likely ends the week (p10 to p90), while the week is in progress."
        )
        .thresholds(
            dashboard_builders.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE).steps(steps)
        )
        .with_target(query("T", f"max by (bound) ({target})", "{{bound}}"))
        .override_by_query(
            "T",
            [
                _fixed("green"),
                model.DynamicConfigValue("custom.lineStyle", {"fill": "dash", "dash": [10, 10]}),
            ],
        )
    )
    edge = model.DynamicConfigValue("custom.lineWidth", 0)  # the band's edges: only its fill
    looks = {
        "0.1": [edge],
        "0.5": [model.DynamicConfigValue("custom.lineStyle", {"fill": "dash", "dash": [4, 4]})],
        "0.9": [edge, model.DynamicConfigValue("custom.fillBelowTo", FORECAST[0][1])],
    }
    for n, (quantile, legend) in enumerate(FORECAST):
        forecast = metrics.of("goal_forecast", goal=spec.id, horizon="week_end", quantile=quantile)
        panel = panel.with_target(query(f"F{n}", f"max({forecast})", legend))
        panel = panel.override_by_name(legend, [_fixed("blue"), *looks[quantile]])
    return panel


def links_panel() -> text.Panel:
    """A text panel for an agent's goals shown under another agent (content set later)."""
    return text.Panel().title("Also this agent's").mode(TextMode.MARKDOWN)


def link(title: str, panel_id: int, where: str) -> str:
    """A Markdown list item that opens panel `panel_id` of this dashboard on its own."""
    url = f"?viewPanel={panel_id}&${{__url_time_range}}&${{__all_variables}}"
    name = title.replace("[", "\\[").replace("]", "\\]")
    return f"- [{name}]({url}) (under {where})"
