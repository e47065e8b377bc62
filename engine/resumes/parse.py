"""One uploaded resume file to its draft: the checks on the file as a whole (empty, too large, no text),
extraction, and the draft. Blocking: run it in a worker thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.resumes.draft import ResumeDraft, draft_resume
from engine.resumes.extract import ResumeError, extract_document

__all__ = ["MAX_FILE_BYTES", "ParsedResume", "parse_resume"]

MAX_FILE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ParsedResume:
    draft: ResumeDraft
    text_chars: int  # characters of text extracted (lines joined by newlines), at most MAX_TEXT_CHARS


def parse_resume(
    data: bytes, content_type: str = "", filename: str = "", vocabulary: Sequence[str] = ()
) -> ParsedResume:
    """The draft of one file; ResumeError (with a message for the recruiter) when there is none."""
    if not data:
        raise ResumeError("the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise ResumeError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    text = extract_document(data, content_type, filename)
    if not text.strip():
        raise ResumeError(
            "no text found in the file (a scanned image or an empty document?); use a file with "
            "selectable text"
        )
    return ParsedResume(draft=draft_resume(text, vocabulary), text_chars=len(text))
