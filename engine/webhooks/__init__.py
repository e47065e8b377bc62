"""Webhooks: signed delivery of the outbox to the endpoints a company registered."""
