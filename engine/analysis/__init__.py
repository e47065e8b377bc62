"""Scoring completed sessions in the background: the worker, and one analysis job."""
