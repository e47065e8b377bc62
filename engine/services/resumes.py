"""What resume parsing needs from the store: the skill names a company's own templates use, so a draft
proposes the skills the recruiter's interviews probe, spelled as the company spells them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.store.tables import TemplateRow

__all__ = ["MAX_TEMPLATES", "MAX_VOCABULARY", "template_skills"]

# Newest templates first; a company with more has long stopped adding new skill names in the old ones.
MAX_TEMPLATES = 500
MAX_VOCABULARY = 2_000


async def template_skills(db: AsyncSession, company_id: str) -> list[str]:
    """The `skills` of the company's live templates, each name once (ignoring case), newest first."""
    rows = await db.scalars(
        select(TemplateRow.spec)
        .where(TemplateRow.company_id == company_id, TemplateRow.deleted_at.is_(None))
        .order_by(TemplateRow.created_at.desc(), TemplateRow.id.desc())
        .limit(MAX_TEMPLATES)
    )
    names: dict[str, str] = {}
    for spec in rows:
        skills = spec.get("skills") if isinstance(spec, dict) else None
        for skill in skills if isinstance(skills, list) else []:
            if isinstance(skill, str) and skill.strip():
                names.setdefault(skill.strip().casefold(), skill.strip())
        if len(names) >= MAX_VOCABULARY:
            break
    return list(names.values())[:MAX_VOCABULARY]
