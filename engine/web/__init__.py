"""Candidate-facing web pages and their static assets (plain HTML, CSS and JS; no build step)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["STATIC_DIR", "static_file"]

STATIC_DIR = Path(__file__).resolve().parent / "static"


def static_file(name: str) -> Path:
    return STATIC_DIR / name
