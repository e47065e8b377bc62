"""Resumes: text out of a PDF, DOCX or plain-text file (`extract`), and a participant draft guessed from
that text (`draft`, `contact`), which a recruiter confirms before anything is saved (`parse`).

Lower than the interviewer and the API: `engine.dialogue.resume` (a participant's `resume_url`, read at
the start of an interview) and `engine.api.resumes` (files uploaded on the dashboard) both build on it.
Nothing here touches the database or the network.
"""
