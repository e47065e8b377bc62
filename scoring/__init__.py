"""Scoring: analysis of completed sessions, rubric scorecards, authenticity signals."""
