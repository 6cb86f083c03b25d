"""Turning a scored week into reports: the view, its sentences, charts, templates and PDF."""
