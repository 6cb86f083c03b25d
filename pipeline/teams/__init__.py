"""Many teams from one install: every `DIR/*.yaml` of `--config-dir DIR` is a team's sprint,
run one after another with its own reports, history and locks under `<output>/<team>/`."""
