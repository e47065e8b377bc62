"""Evaluation Template: what an interview must determine and the bar for success (seed 001)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictBool, ValidationInfo, field_validator, model_validator

from config.base import ApiModel, InputModel, Label, LongText, Name, ResourceOut
from config.enums import Depth, SessionMode, SuccessOutcome, UseCase

__all__ = [
    "PRESETS",
    "CustomOutcomeLabels",
    "EvaluationTemplate",
    "EvaluationTemplateCreate",
    "EvaluationTemplateSpec",
    "EvaluationTemplateUpdate",
    "Preset",
    "PublicLink",
    "PublicLinkUpdate",
    "TemplatePreset",
]

MAX_SKILLS = 50


class CustomOutcomeLabels(InputModel):
    positive: Label = Field(description="Label for a positive verdict, e.g. 'shortlist'.")
    negative: Label = Field(description="Label for a negative verdict, e.g. 'decline'.")


class TemplatePreset(ApiModel):
    """The defaults one use case (hiring, training or mock) gives the fields a template leaves out."""

    name: str = Field(description="Preset name: hiring, training or mock.")
    use_case: UseCase = Field(description="Use case the preset sets.")
    objective: str = Field(description="Objective the preset sets.")
    success_outcome: SuccessOutcome = Field(description="Verdict vocabulary the preset sets.")
    default_session_mode: SessionMode = Field(description="Interview format the preset sets.")


PRESETS: dict[str, TemplatePreset] = {
    p.name: p
    for p in (
        TemplatePreset(
            name="hiring",
            use_case=UseCase.HIRING,
            objective="Can they do the job?",
            success_outcome=SuccessOutcome.HIRE_NO_HIRE,
            default_session_mode=SessionMode.LIVE_AI_INTERVIEW,
        ),
        TemplatePreset(
            name="training",
            use_case=UseCase.TRAINING,
            objective="Are they ready to perform?",
            success_outcome=SuccessOutcome.READY_NEEDS_TRAINING,
            default_session_mode=SessionMode.ROLEPLAY_SIMULATION,
        ),
        TemplatePreset(
            name="mock",
            use_case=UseCase.TRAINING,
            objective="Are they ready for the real thing?",
            success_outcome=SuccessOutcome.PASS_FAIL,
            default_session_mode=SessionMode.PRACTICE_SESSION,
        ),
    )
}

Preset = str


class EvaluationTemplateSpec(InputModel):
    """Everything that defines a template, after defaults are applied."""

    name: Name = Field(description="Display name, e.g. 'Senior Backend Engineer'.")
    use_case: UseCase = Field(
        default=UseCase.HIRING, description="Category; drives the recommendation vocabulary and defaults."
    )
    objective: LongText = Field(default="", description="The single thing the interview must determine.")
    success_outcome: SuccessOutcome | None = Field(
        default=None,
        validate_default=True,
        description="Verdict vocabulary; derived from use_case when omitted.",
    )
    custom_outcome_labels: CustomOutcomeLabels | None = Field(
        default=None,
        validate_default=True,
        description="Verdict labels; required when success_outcome is custom.",
    )
    skills: list[Label] = Field(
        default_factory=list, max_length=MAX_SKILLS, description="Technical skills to probe."
    )
    traits: list[Label] = Field(
        default_factory=list, max_length=MAX_SKILLS, description="Behavioural traits to assess."
    )
    pass_criteria: LongText = Field(
        default="", description="What the participant must demonstrate to pass, in plain language."
    )
    duration_minutes: int = Field(default=30, ge=5, le=240, description="Default session length in minutes.")
    depth: Depth = Field(default=Depth.INTERMEDIATE, description="Question depth.")
    default_session_mode: SessionMode = Field(
        default=SessionMode.LIVE_AI_INTERVIEW, description="Interview format of this template's sessions."
    )

    # Field validators rather than one model validator, so each error names the field it is about.
    # Fields validate in declaration order, so `info.data` holds use_case and success_outcome by then.
    @field_validator("success_outcome")
    @classmethod
    def _derive_outcome(cls, outcome: SuccessOutcome | None, info: ValidationInfo) -> SuccessOutcome | None:
        use_case = info.data.get("use_case")
        if outcome is None and isinstance(use_case, UseCase):
            return SuccessOutcome.for_use_case(use_case)
        return outcome

    @field_validator("custom_outcome_labels")
    @classmethod
    def _labels_iff_custom(
        cls, labels: CustomOutcomeLabels | None, info: ValidationInfo
    ) -> CustomOutcomeLabels | None:
        outcome = info.data.get("success_outcome")
        if outcome is SuccessOutcome.CUSTOM and labels is None:
            raise ValueError("custom_outcome_labels is required when success_outcome is custom")
        if (
            isinstance(outcome, SuccessOutcome)
            and outcome is not SuccessOutcome.CUSTOM
            and labels is not None
        ):
            raise ValueError("custom_outcome_labels is only allowed when success_outcome is custom")
        return labels

    @field_validator("skills", "traits")
    @classmethod
    def _no_repeats(cls, values: list[str], info: ValidationInfo) -> list[str]:
        seen: set[str] = set()
        for value in values:
            if value.casefold() in seen:
                raise ValueError(f"{info.field_name} must not repeat an entry; {value!r} appears twice")
            seen.add(value.casefold())
        return values


class EvaluationTemplateCreate(EvaluationTemplateSpec):
    """Request body to create a template; `preset` fills the fields you leave out."""

    preset: Preset | None = Field(
        default=None,
        description="hiring, training or mock: that use case's defaults (GET /v1/templates/presets) for fields "
        "not sent.",
    )

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("preset") is None:
            return data
        preset = PRESETS.get(str(data["preset"]))
        if preset is None:
            return data  # the field validator below reports the unknown name
        merged = preset.model_dump(mode="json", exclude={"name"})
        if "use_case" in data and "success_outcome" not in data:
            # The preset's outcome belongs to the preset's use case; one sent explicitly derives its own.
            del merged["success_outcome"]
        merged.update(data)
        return merged

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, preset: str | None) -> str | None:
        if preset is not None and preset not in PRESETS:
            raise ValueError(f"preset must be one of {', '.join(sorted(PRESETS))}")
        return preset

    def spec(self) -> EvaluationTemplateSpec:
        return EvaluationTemplateSpec.model_validate(self.model_dump(exclude={"preset"}))


class EvaluationTemplateUpdate(InputModel):
    """Partial update; the result is validated as a whole."""

    name: Name | None = Field(default=None, description="Display name.")
    use_case: UseCase | None = Field(default=None, description="Category.")
    objective: LongText | None = Field(default=None, description="What the interview must determine.")
    success_outcome: SuccessOutcome | None = Field(default=None, description="Verdict vocabulary.")
    custom_outcome_labels: CustomOutcomeLabels | None = Field(default=None, description="Custom labels.")
    skills: list[Label] | None = Field(default=None, max_length=MAX_SKILLS, description="Skills to probe.")
    traits: list[Label] | None = Field(default=None, max_length=MAX_SKILLS, description="Traits to assess.")
    pass_criteria: LongText | None = Field(default=None, description="Bar to pass.")
    duration_minutes: int | None = Field(default=None, ge=5, le=240, description="Session length in minutes.")
    depth: Depth | None = Field(default=None, description="Question depth.")
    default_session_mode: SessionMode | None = Field(default=None, description="Interview format.")


class PublicLink(ApiModel):
    enabled: bool = Field(description="Whether anyone with the URL can start a session.")
    url: str | None = Field(description="The public join URL; null while the link was never enabled.")
    email_verification: bool = Field(
        description="Whether a candidate must confirm their email before a session is booked: signing up "
        "sends a one-time link to the address given, and following it books the session.",
    )


class PublicLinkUpdate(InputModel):
    enabled: StrictBool = Field(description="Enable or disable the template's public link.")
    email_verification: StrictBool | None = Field(
        default=None,
        description="Require candidates to confirm their email (a one-time link sent to them) before a "
        "session is booked. Omitted or null: the current setting stays (off for a new template).",
    )


class EvaluationTemplate(EvaluationTemplateSpec, ResourceOut):
    """A template as stored."""

    model_config = ApiModel.model_config
    success_outcome: SuccessOutcome | None = Field(description="Verdict vocabulary.")
    public_link: PublicLink = Field(description="The template's public link.")
