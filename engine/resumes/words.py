"""The word lists the resume draft reads with: section headings, job-title and organisation words, degree
and institution cues, and spoken languages. English only; extend them here, not in the code that uses
them."""

from __future__ import annotations

import re

__all__ = [
    "DEGREE",
    "HEADINGS",
    "INSTITUTION",
    "LANGUAGES",
    "LANGUAGE_CUES",
    "NAME_PARTICLES",
    "NOT_A_NAME",
    "ORGANIZATION",
    "TITLE_WORDS",
]

# Lower-cased heading text (without a trailing colon) -> the section it starts. Sections the draft does
# not read still end the one before them, so "Projects" after "Education" is not taken for a school.
HEADINGS: dict[str, str] = {
    **dict.fromkeys(
        [
            "experience",
            "work experience",
            "professional experience",
            "relevant experience",
            "employment",
            "employment history",
            "work history",
            "career history",
            "career",
            "professional background",
            "positions held",
        ],
        "experience",
    ),
    **dict.fromkeys(
        [
            "education",
            "education and training",
            "education & training",
            "academic background",
            "academic qualifications",
            "qualifications",
            "studies",
        ],
        "education",
    ),
    **dict.fromkeys(
        [
            "skills",
            "technical skills",
            "key skills",
            "core skills",
            "skills & tools",
            "skills and tools",
            "competencies",
            "core competencies",
            "technologies",
            "tools",
            "tech stack",
        ],
        "skills",
    ),
    **dict.fromkeys(["languages", "language skills", "spoken languages", "language"], "languages"),
    **dict.fromkeys(
        [
            "summary",
            "profile",
            "professional summary",
            "personal profile",
            "about me",
            "about",
            "objective",
            "career objective",
            "contact",
            "contact details",
            "contact information",
            "personal details",
            "personal information",
            "projects",
            "selected projects",
            "certifications",
            "certificates",
            "licenses & certifications",
            "awards",
            "honors",
            "honours",
            "achievements",
            "publications",
            "interests",
            "hobbies",
            "references",
            "volunteering",
            "volunteer experience",
            "courses",
            "training",
        ],
        "other",
    ),
}

# Words that make a line a heading of the document itself, never a person's name.
NOT_A_NAME = frozenset(
    {"curriculum", "vitae", "resume", "résumé", "cv", "page", "confidential", "contact", "profile"}
    | {word for heading in HEADINGS for word in heading.split() if word not in {"&", "and"}}
)

# Lower-case words inside a name: "Ludwig van Beethoven", "Maria de la Cruz".
NAME_PARTICLES = frozenset(
    {
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "dos",
        "das",
        "du",
        "la",
        "le",
        "bin",
        "al",
    }
)

# A line naming one of these is a job title, not a name or an employer.
TITLE_WORDS = re.compile(
    r"\b(?:engineer|developer|programmer|manager|director|designer|analyst|consultant|scientist|"
    r"specialist|architect|administrator|coordinator|assistant|associate|lead|head of|officer|intern|"
    r"executive|representative|recruiter|accountant|teacher|nurse|technician|researcher|founder|"
    r"co-founder|owner|cto|ceo|cfo|coo|vp|vice president|president|partner|advisor|adviser|strategist|"
    r"editor|writer|marketer|supervisor|operator|trainee|apprentice|lecturer|professor|tutor|attorney|"
    r"lawyer|paralegal|physician|pharmacist|therapist|devops|sre|product owner|scrum master|"
    r"salesperson|agent|clerk|cashier|chef|driver|electrician|mechanic|student)s?\b",
    re.IGNORECASE,
)

# Endings and words of organisation names: "Acme Corp", "Globex GmbH", "First National Bank".
ORGANIZATION = re.compile(
    r"\b(?:inc|ltd|llc|llp|gmbh|ag|plc|corp|corporation|company|co|group|labs?|technologies|solutions|"
    r"systems|bank|limited|s\.?a|b\.?v|oy|ab|pty|holdings|partners|agency|studio|foundation|"
    r"hospital|ministry|council)\b\.?",
    re.IGNORECASE,
)

# Degrees are matched with their usual capitals ("MS", "BA"), so ordinary words do not count.
DEGREE = re.compile(
    r"\b(?:B\.?Sc|M\.?Sc|B\.?A|M\.?A|MBA|Ph\.?D|B\.?S|M\.?S|B\.?Eng|M\.?Eng|B\.?Tech|M\.?Tech|LL\.?B|"
    r"LL\.?M|M\.?D|Bachelor(?:'s)?|Master(?:'s)?|Doctorate|Doctor of|Diploma|Degree|Associate of|"
    r"High School|A-Levels?|Abitur|Baccalaur[ée]at)\b"
)
INSTITUTION = re.compile(
    r"\b(?:University|College|Institute|School|Universit[äéà]t?|Universidad|Università|Academy|"
    r"Polytechnic|Politecnico|Hochschule|Conservatory)\b",
    re.IGNORECASE,
)

# Spoken languages, as they are written in English; matched only in a Languages section or on a line
# that talks about languages, so "French Institute" in a job line is not a language.
LANGUAGES = (
    "English",
    "Spanish",
    "French",
    "German",
    "Italian",
    "Portuguese",
    "Dutch",
    "Flemish",
    "Swedish",
    "Norwegian",
    "Danish",
    "Finnish",
    "Icelandic",
    "Polish",
    "Czech",
    "Slovak",
    "Hungarian",
    "Romanian",
    "Bulgarian",
    "Greek",
    "Turkish",
    "Russian",
    "Ukrainian",
    "Belarusian",
    "Serbian",
    "Croatian",
    "Bosnian",
    "Slovenian",
    "Albanian",
    "Lithuanian",
    "Latvian",
    "Estonian",
    "Irish",
    "Welsh",
    "Catalan",
    "Basque",
    "Galician",
    "Arabic",
    "Hebrew",
    "Persian",
    "Farsi",
    "Urdu",
    "Hindi",
    "Bengali",
    "Punjabi",
    "Gujarati",
    "Marathi",
    "Tamil",
    "Telugu",
    "Kannada",
    "Malayalam",
    "Nepali",
    "Sinhala",
    "Chinese",
    "Mandarin",
    "Cantonese",
    "Japanese",
    "Korean",
    "Vietnamese",
    "Thai",
    "Indonesian",
    "Malay",
    "Tagalog",
    "Filipino",
    "Swahili",
    "Amharic",
    "Yoruba",
    "Igbo",
    "Hausa",
    "Zulu",
    "Afrikaans",
    "Latin",
    "Esperanto",
    "Sign Language",
)
LANGUAGE_CUES = re.compile(
    r"\b(?:languages?|fluent|fluency|native|bilingual|mother tongue|proficien(?:t|cy)|"
    r"conversational|speaks?|spoken)\b",
    re.IGNORECASE,
)
