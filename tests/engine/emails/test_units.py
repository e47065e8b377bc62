"""The pieces without a server: placeholder rendering and escaping, the built-in templates, the SMTP
settings from the environment (the password a secret) and what they mean for aiosmtplib."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from config.email_settings import SmtpSettings
from config.emails import PLACEHOLDERS, EmailKind, check_placeholders
from config.settings import Settings
from engine.notifications.compose import format_time
from engine.notifications.defaults import DEFAULTS
from engine.notifications.rendering import Rendered, TemplateText, render
from engine.notifications.smtp import SmtpSender, build_message

VALUES = {
    "participant_name": 'Ann <img src=x onerror="alert(1)"> & Bob',
    "interview_title": "R&D <Lead>",
    "stage_name": "",
    "company_name": "Acme",
    "join_url": "https://interviews.example.test/join/abc?x=1&y=2",
    "scheduled_time": "Monday 2 March 2026, 09:00 UTC",
}


def test_values_are_escaped_in_html_only_and_flattened_in_the_subject() -> None:
    template = TemplateText(
        subject="For $participant_name: $interview_title",
        html='<a href="$join_url">$participant_name</a> $$5',
        text="$participant_name $join_url $$5",
    )
    out = render(template, {**VALUES, "participant_name": "Ann\r\nBcc: evil@example.com <b>"})
    assert out.subject == "For Ann Bcc: evil@example.com <b>: R&D <Lead>"
    assert out.text == "Ann\r\nBcc: evil@example.com <b> https://interviews.example.test/join/abc?x=1&y=2 $5"
    assert out.html == (
        '<a href="https://interviews.example.test/join/abc?x=1&amp;y=2">Ann\r\nBcc: evil@example.com '
        "&lt;b&gt;</a> $5"
    )
    attack = render(TemplateText("s", "<p title='$participant_name'>", "t"), VALUES)
    assert attack.html == "<p title='Ann &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Bob'>"


def test_the_built_in_templates_use_known_placeholders_and_render_safely() -> None:
    assert set(DEFAULTS) == set(EmailKind)
    for kind, template in DEFAULTS.items():
        for part in (template.subject, template.html, template.text):
            check_placeholders(part)
        out = render(template, VALUES)
        assert "$" not in out.subject + out.html + out.text, kind
        assert "<img" not in out.html
        assert "Ann &lt;img" in out.html
        if kind is not EmailKind.CANCELLATION:
            assert VALUES["join_url"] in out.text
            assert 'href="https://interviews.example.test/join/abc?x=1&amp;y=2"' in out.html


def test_placeholder_checks() -> None:
    for name in PLACEHOLDERS:
        assert check_placeholders(f"${name} ${{{name}}}") == f"${name} ${{{name}}}"
    assert check_placeholders("$$ costs nothing") == "$$ costs nothing"
    with pytest.raises(ValueError, match=r"unknown placeholder \$password"):
        check_placeholders("$password")
    with pytest.raises(ValueError, match="line 2"):
        check_placeholders("fine\n$ 5")


def test_times_read_the_same_in_every_locale() -> None:
    assert format_time(datetime(2026, 3, 2, 9, 5, tzinfo=UTC)) == "Monday 2 March 2026, 09:05 UTC"
    assert format_time(datetime(2026, 12, 27, 23, 59, tzinfo=UTC)) == "Sunday 27 December 2026, 23:59 UTC"


def test_smtp_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IE_SMTP__HOST", "smtp.example.com")
    monkeypatch.setenv("IE_SMTP__SECURITY", "tls")
    monkeypatch.setenv("IE_SMTP__USERNAME", "mailer")
    monkeypatch.setenv("IE_SMTP__PASSWORD", "hunter2-secret")
    monkeypatch.setenv("IE_SMTP__FROM_ADDRESS", "Acme <jobs@acme.example>")
    monkeypatch.setenv("IE_EMAIL__REMINDER_BEFORE_S", "3600")
    settings = Settings(_env_file=None)
    smtp = settings.smtp
    assert (smtp.host, smtp.resolved_port, smtp.configured) == ("smtp.example.com", 465, True)
    assert settings.email.reminder_before_s == 3600
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert "hunter2-secret" not in shown
    options = SmtpSender(smtp).options()
    assert options["password"] == "hunter2-secret"
    assert (options["use_tls"], options["start_tls"], options["port"]) == (True, False, 465)
    assert SmtpSender(SmtpSettings(host="h", from_address="a@b.c")).options()["start_tls"] is True
    plain = SmtpSender(SmtpSettings(host="h", from_address="a@b.c", security="none")).options()
    assert (plain["use_tls"], plain["start_tls"], plain["port"]) == (False, False, 25)
    assert not SmtpSettings().configured


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"host": "smtp.example.com"}, "FROM_ADDRESS is required"),
        ({"host": "h", "from_address": "not an address"}, "not an email address"),
        ({"host": "h", "from_address": "a@b.c", "password": "x"}, "without IE_SMTP__USERNAME"),
        ({"host": "h", "from_address": "a@b.c", "security": "ssl"}, "starttls"),
    ],
)
def test_smtp_settings_that_cannot_work_are_refused_at_start(fields: dict[str, str], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        SmtpSettings.model_validate(fields)


def test_the_message_has_both_parts_and_a_stable_id() -> None:
    rendered = Rendered(subject="Hi", html="<p>Hi</p>", text="Hi")
    message = build_message("e-1", rendered, "Acme <jobs@acme.example>", "ann@example.com", "Ann\nB")
    assert message["Message-ID"] == "<e-1@acme.example>"
    assert str(message["To"]) == "Ann B <ann@example.com>"
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
