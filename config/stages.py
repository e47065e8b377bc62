"""Evaluation Stage: one step of a template's pipeline (seed 001)."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator

from config.base import ApiModel, Flag, InputModel, Name, ResourceId, ResourceOut
from config.enums import OnComplete, StageType

__all__ = [
    "EvaluationStage",
    "EvaluationStageCreate",
    "EvaluationStageSpec",
    "EvaluationStageUpdate",
    "StageOrder",
]


class EvaluationStageSpec(InputModel):
    name: Name = Field(description="Display name shown to participants, e.g. 'Technical Screen'.")
    type: StageType = Field(default=StageType.AI_INTERVIEW, description="Kind of step.")
    agent_profile_id: ResourceId | None = Field(
        default=None,
        validate_default=True,
        description="Agent profile that conducts this stage; required for AI-run stage types.",
    )
    order: int | None = Field(
        default=None,
        ge=0,
        le=99,
        description="0-based position in the template's pipeline, unique per template; default: next free.",
    )
    pass_threshold: float = Field(
        default=60, ge=0, le=100, description="Minimum overall rating (0-100) required to pass this stage."
    )
    allow_retry: Flag = Field(default=False, description="Whether a participant may retry on failure.")
    on_complete: OnComplete = Field(
        default=OnComplete.AUTO_ADVANCE, description="Advance automatically or wait for a human decision."
    )
    embedded_scorer_decides: Flag = Field(
        default=False,
        description=(
            "Whether a result scored by the embedded (offline) scorer may advance, fail or retry a "
            "participant without a human. Off by default: that scorer measures structure and relevance, "
            "not correctness, so with on_complete auto_advance its results wait for approval "
            "(reason embedded_scorer) unless this is on. Results from an LLM scorer are not affected."
        ),
    )
    duration_minutes: int | None = Field(
        default=None, ge=5, le=240, description="Session length for this stage; default: the template's."
    )

    @field_validator("agent_profile_id")
    @classmethod
    def _profile_for_ai_stages(cls, profile_id: str | None, info: ValidationInfo) -> str | None:
        # A field validator (not a model one) so the error names agent_profile_id.
        stage_type = info.data.get("type")
        if isinstance(stage_type, StageType) and stage_type.needs_interviewer and profile_id is None:
            raise ValueError(f"agent_profile_id is required for a {stage_type.value} stage")
        return profile_id


class EvaluationStageCreate(EvaluationStageSpec):
    """Request body to add a stage to a template."""


class EvaluationStageUpdate(InputModel):
    name: Name | None = Field(default=None, description="Display name.")
    type: StageType | None = Field(default=None, description="Kind of step.")
    agent_profile_id: ResourceId | None = Field(
        default=None, description="Agent profile conducting this stage."
    )
    order: int | None = Field(default=None, ge=0, le=99, description="0-based position, unique per template.")
    pass_threshold: float | None = Field(default=None, ge=0, le=100, description="Minimum rating to pass.")
    allow_retry: Flag | None = Field(default=None, description="Whether a retry is allowed on failure.")
    on_complete: OnComplete | None = Field(default=None, description="What happens on completion.")
    embedded_scorer_decides: Flag | None = Field(
        default=None, description="Whether the embedded scorer's results may move the pipeline by themselves."
    )
    duration_minutes: int | None = Field(default=None, ge=5, le=240, description="Session length.")


class StageOrder(InputModel):
    stage_ids: list[ResourceId] = Field(
        min_length=1, max_length=100, description="Every stage id of the template, in the new pipeline order."
    )


class EvaluationStage(EvaluationStageSpec, ResourceOut):
    model_config = ApiModel.model_config
    template_id: str = Field(description="The template this stage belongs to.")
    order: int = Field(description="0-based position in the pipeline.")
