"""The base of every settings group (a nested model of `config.settings.Settings`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["SettingsGroup"]


class SettingsGroup(BaseModel):
    """Unknown keys are errors (a misspelt IE_ variable must not pass silently); read-only once built."""

    model_config = ConfigDict(extra="forbid", frozen=True)
