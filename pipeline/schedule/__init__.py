"""The nightly scheduler, its locks and crontab triggers."""
