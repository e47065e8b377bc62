"""Emails to participants: invitations, reminders, cancellation and reschedule notices.

- `outbox`: the email rows in the store (queued with the change they announce, claimed, finished);
- `compose`: whether a queued email is still worth sending, and its text from the company's template;
- `rendering` and `defaults`: safe placeholder substitution and the built-in templates;
- `smtp`: the message and the SMTP conversation (aiosmtplib);
- `worker`: the engine's sender loop (`engine.outbox_loop`).
"""
