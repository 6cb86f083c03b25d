"""Files generated from the goals: Prometheus rules, PromQL filters and the Grafana dashboard."""
