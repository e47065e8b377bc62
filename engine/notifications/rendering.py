"""Placeholder substitution. Templates are `string.Template` text: `$name` and `${name}` from the fixed
set in `config.emails.PLACEHOLDERS` are replaced by values, nothing else happens (no expressions, no
attribute access, no loops), so a template cannot run anything. Values are HTML-escaped in the HTML
part and stripped of line breaks and control characters in the subject."""

from __future__ import annotations

import html
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Rendered", "TemplateText", "render"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
MAX_SUBJECT = 250


@dataclass(frozen=True, slots=True)
class TemplateText:
    subject: str
    html: str
    text: str


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    html: str
    text: str


def one_line(value: str) -> str:
    """No line breaks or control characters (a header cannot carry them), runs of spaces collapsed."""
    return " ".join(_CONTROL.sub(" ", value).split())


def _fill(text: str, values: Mapping[str, str]) -> str:
    # safe_substitute: a template saved before a placeholder was retired still renders (the name stays).
    return string.Template(text).safe_substitute(values)


def render(template: TemplateText, values: Mapping[str, str]) -> Rendered:
    escaped = {k: html.escape(v, quote=True) for k, v in values.items()}
    flat = {k: one_line(v) for k, v in values.items()}
    subject = one_line(_fill(template.subject, flat))[:MAX_SUBJECT]
    return Rendered(subject=subject, html=_fill(template.html, escaped), text=_fill(template.text, values))
