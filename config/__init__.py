"""Configuration models: agent profiles, evaluation templates, stages, participants, sessions, settings.

Everything here is pure validation (pydantic v2); nothing touches the network or the store.
"""
