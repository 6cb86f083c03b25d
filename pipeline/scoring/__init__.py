"""Judging the week: its window, the scores and verdicts, and the movement from week to week."""
