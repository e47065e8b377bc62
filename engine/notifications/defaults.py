"""The built-in email templates, one per kind; a company's own (PUT /v1/email-templates/{kind}) replaces
one. Placeholders: `config.emails.PLACEHOLDERS`."""

from __future__ import annotations

from config.emails import EmailKind
from engine.notifications.rendering import TemplateText

__all__ = ["DEFAULTS"]


def _html(heading: str, *paragraphs: str, button: bool = False) -> str:
    """A plain, single-column email body that every mail client shows the same."""
    parts = [
        "<!doctype html>",
        '<html lang="en"><body style="margin:0;padding:24px;font-family:Arial,Helvetica,sans-serif;'
        'color:#1f2933;line-height:1.5">',
        '<div style="max-width:560px;margin:0 auto">',
        f'<h1 style="font-size:20px;margin:0 0 16px">{heading}</h1>',
        *(f"<p>{p}</p>" for p in paragraphs),
    ]
    if button:
        parts += [
            '<p style="margin:24px 0"><a href="$join_url" style="background:#1d4ed8;color:#ffffff;'
            'padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">'
            "Open the interview</a></p>",
            '<p style="font-size:13px;color:#52606d">If the button does not work, open this link: '
            '<a href="$join_url">$join_url</a></p>',
        ]
    parts += ['<p style="font-size:13px;color:#52606d">$company_name</p>', "</div></body></html>"]
    return "\n".join(parts)


_TECH = (
    "You will talk with an AI interviewer in your browser: use Chrome, Edge or Firefox, with a microphone, "
    "somewhere quiet."
)

DEFAULTS: dict[EmailKind, TemplateText] = {
    EmailKind.INVITATION: TemplateText(
        subject="Your interview with $company_name: $interview_title",
        html=_html(
            "Your interview: $interview_title",
            "Hello $participant_name,",
            "$company_name invites you to an interview for <strong>$interview_title</strong>. "
            "You can take it from $scheduled_time, whenever suits you.",
            _TECH,
            button=True,
        ),
        text="Hello $participant_name,\n\n"
        "$company_name invites you to an interview for $interview_title. You can take it from "
        f"$scheduled_time, whenever suits you.\n\n{_TECH}\n\nOpen the interview: $join_url\n\n"
        "$company_name\n",
    ),
    EmailKind.REMINDER: TemplateText(
        subject="Reminder: your interview with $company_name opens $scheduled_time",
        html=_html(
            "A reminder about your interview",
            "Hello $participant_name,",
            "Your interview for <strong>$interview_title</strong> with $company_name opens $scheduled_time.",
            _TECH,
            button=True,
        ),
        text="Hello $participant_name,\n\n"
        "Your interview for $interview_title with $company_name opens $scheduled_time.\n\n"
        f"{_TECH}\n\nOpen the interview: $join_url\n\n$company_name\n",
    ),
    EmailKind.RESCHEDULE: TemplateText(
        subject="New time for your interview with $company_name",
        html=_html(
            "Your interview has a new time",
            "Hello $participant_name,",
            "Your interview for <strong>$interview_title</strong> with $company_name now opens "
            "$scheduled_time. Your link stays the same.",
            button=True,
        ),
        text="Hello $participant_name,\n\n"
        "Your interview for $interview_title with $company_name now opens $scheduled_time. Your link "
        "stays the same.\n\nOpen the interview: $join_url\n\n$company_name\n",
    ),
    EmailKind.CANCELLATION: TemplateText(
        subject="Your interview with $company_name has been cancelled",
        html=_html(
            "Your interview has been cancelled",
            "Hello $participant_name,",
            "Your interview for <strong>$interview_title</strong> with $company_name has been cancelled, "
            "and its link no longer opens it. If you have questions, please reply to the recruiter who "
            "contacted you.",
        ),
        text="Hello $participant_name,\n\n"
        "Your interview for $interview_title with $company_name has been cancelled, and its link no longer "
        "opens it. If you have questions, please reply to the recruiter who contacted you.\n\n"
        "$company_name\n",
    ),
}
