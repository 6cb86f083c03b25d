"""What a run leaves behind: the week folder, summary.json, CSV, the site, JUnit, metrics,
the gate and the terminal table."""
