"""Agent Profile: the interviewer's persona, conversation behaviour and scoring rules (seed 001)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from config.base import ApiModel, Flag, InputModel, LongText, Name, ResourceOut
from config.enums import (
    Difficulty,
    Focus,
    ProbingDepth,
    Scale,
    ScoringMethod,
    Style,
    SuccessOutcome,
    Tone,
    TtsEngine,
    UseCase,
)
from scoring import rules

__all__ = [
    "AgentProfile",
    "AgentProfileCreate",
    "AgentProfileSpec",
    "AgentProfileUpdate",
    "Behavior",
    "Grounding",
    "RubricDimension",
    "ScorecardOptions",
    "Scoring",
    "VoiceSettings",
    "is_rule_program",
    "recommendation_labels",
]

MAX_DIMENSIONS = 20


class RubricDimension(InputModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="Scoring axis, e.g. 'System Design'. Unique within the rubric (case-insensitive)."
    )
    description: LongText = Field(default="", description="What a strong answer on this axis shows.")
    weight: float = Field(
        strict=True,  # a JSON number: neither a string nor a boolean (true would count as 1)
        allow_inf_nan=False,
        gt=0,
        le=100,
        description="Share of the overall score, in percent, at most 2 decimals. Weights sum to exactly 100.",
    )

    @field_validator("weight")
    @classmethod
    def _two_decimals(cls, weight: float) -> float:
        if abs(weight * 100 - round(weight * 100)) > 1e-6:
            raise ValueError("weight may have at most 2 decimal places")
        return weight


class Behavior(InputModel):
    tone: Tone = Field(default=Tone.PROFESSIONAL, description="How the interviewer sounds.")
    style: Style = Field(default=Style.STRUCTURED, description="How the conversation is organised.")
    difficulty: Difficulty = Field(
        default=Difficulty.MEDIUM, description="Question difficulty; adaptive follows the candidate."
    )
    probing_depth: ProbingDepth = Field(
        default=ProbingDepth.MEDIUM,
        alias="probingDepth",
        description="How many follow-ups a question may get.",
    )


class Scoring(InputModel):
    scale: Scale = Field(default=Scale.TEN, description="Scale of each dimension score.")
    scoring_method: ScoringMethod = Field(
        default=ScoringMethod.WEIGHTED_AVERAGE,
        alias="scoringMethod",
        description="weighted_average uses the rubric weights; rule_based applies recommendationLogic.",
    )
    recommendation_logic: LongText | None = Field(
        default=None,
        alias="recommendationLogic",
        description="Rules mapping dimension scores to a recommendation; required for rule_based.",
    )

    @model_validator(mode="before")
    @classmethod
    def _always_check_logic(cls, data: Any) -> Any:
        # Present the key even when it was left out, so the rule below runs and its error is located
        # at `recommendationLogic` (a default would be reported under the Python field name).
        if isinstance(data, dict) and not {"recommendationLogic", "recommendation_logic"} & data.keys():
            return {**data, "recommendationLogic": None}
        return data

    @field_validator("recommendation_logic")
    @classmethod
    def _rules_for_rule_based(cls, logic: str | None, info: ValidationInfo) -> str | None:
        # A field validator (not a model one) so the error names scoring.recommendationLogic.
        if info.data.get("scoring_method") is ScoringMethod.RULE_BASED and not logic:
            raise ValueError("recommendationLogic is required when scoringMethod is rule_based")
        if logic and (info.data.get("scoring_method") is ScoringMethod.RULE_BASED or is_rule_program(logic)):
            rules.parse(logic)  # its RuleError is a ValueError: pydantic reports it here
        return logic


def is_rule_program(logic: str) -> bool:
    """Whether recommendationLogic is written in the rule language (`scoring.rules`).

    Every rule has an arrow, so text without one cannot be a program. With `rule_based` scoring the text
    must be a program whatever it looks like; with `weighted_average` it is optional guidance, and
    checked as rules only when it has an arrow.
    """
    return "->" in logic


def recommendation_labels(use_case: UseCase) -> tuple[str, ...]:
    """Labels a profile's rules may give: its own vocabulary's first, `positive`/`negative`, then every
    other vocabulary's, since one profile may serve templates with different success outcomes."""
    own = SuccessOutcome.for_use_case(use_case).labels() or ()
    every = [label for outcome in SuccessOutcome for label in outcome.labels() or ()]
    return tuple(dict.fromkeys([*own, "positive", "negative", *every]))


class VoiceSettings(InputModel):
    """How the interviewer sounds: which engine (the server's IE_TTS__ENGINE unless set), which of its
    voices, how fast, and (eSpeak only) how high."""

    engine: TtsEngine | None = Field(
        default=None,
        description="Speech engine: 'piper' (neural voice) or 'espeak' (eSpeak NG, needed for eSpeak voice "
        "names and variants such as 'en-us+f3'); null uses the server's default (IE_TTS__ENGINE).",
    )
    name: Annotated[
        str, StringConstraints(pattern=r"^[a-z]{2,3}([-_][a-z0-9]{1,8})*(\+[a-z0-9]{1,16})?$")
    ] = Field(
        default="en-us",
        description="Voice: for piper 'en-us' or 'en_us-joe-medium'; for espeak an eSpeak NG voice name "
        "with an optional variant, e.g. 'en-us', 'en-gb-x-rp', 'en-us+f3'. A voice the engine lacks falls "
        "back to its default voice.",
    )
    rate: int = Field(default=170, ge=80, le=450, description="Speaking rate in words per minute.")
    pitch: int = Field(
        default=50,
        ge=0,
        le=100,
        description="Base pitch, 0-100 (50 is the voice's normal). eSpeak only: Piper voices ignore it.",
    )


class Grounding(InputModel):
    organization_context: LongText | None = Field(
        default=None, alias="organizationContext", description="Company background the AI may mention."
    )
    domain_context: LongText | None = Field(
        default=None, alias="domainContext", description="Domain knowledge the AI should assume."
    )
    scenario_context: LongText | None = Field(
        default=None, alias="scenarioContext", description="Roleplay set-up, for simulations."
    )


class ScorecardOptions(InputModel):
    include_transcript: Flag = Field(
        default=True, alias="includeTranscript", description="Scorecard includes the transcript."
    )
    include_score_breakdown: Flag = Field(
        default=True, alias="includeScoreBreakdown", description="Scorecard includes per-dimension scores."
    )
    include_recommendation: Flag = Field(
        default=True, alias="includeRecommendation", description="Scorecard includes a recommendation."
    )
    include_improvement_feedback: Flag = Field(
        default=True,
        alias="includeImprovementFeedback",
        description="Scorecard includes improvement feedback for the participant.",
    )


def _check_rubric(rubric: list[RubricDimension]) -> list[RubricDimension]:
    seen: set[str] = set()
    for dim in rubric:
        key = dim.name.casefold()
        if key in seen:
            raise ValueError(f"rubric dimension names must be unique; {dim.name!r} appears twice")
        seen.add(key)
    # Compare in hundredths so 33.33 + 33.33 + 33.34 is exactly 100 despite binary floats.
    hundredths = sum(round(d.weight * 100) for d in rubric)
    if hundredths != 10_000:
        raise ValueError(f"rubric weights must sum to exactly 100, got {hundredths / 100:g}")
    return rubric


class AgentProfileSpec(InputModel):
    """Everything that defines an agent profile; shared by create, stored form and output."""

    name: Name = Field(description="Display name, e.g. 'Senior Engineering Interviewer'.")
    intro: LongText = Field(
        default="",
        description="How the AI introduces itself, e.g. 'Alex, a senior engineer at Acme.'",
    )
    use_case: UseCase = Field(
        default=UseCase.HIRING, description="Selects the recommendation vocabulary (hiring: hire/no_hire)."
    )
    focus: Focus = Field(
        default=Focus.SCREENING,
        description="Interview type. Only generic profiles may interview without a template.",
    )
    rubric: list[RubricDimension] = Field(
        min_length=1,
        max_length=MAX_DIMENSIONS,
        description="Scoring axes [{name, description, weight}]; weights sum to exactly 100.",
    )
    behavior: Behavior = Field(default_factory=Behavior, description="Conversation behaviour.")
    scoring: Scoring = Field(default_factory=Scoring, description="How scores are computed.")
    grounding: Grounding = Field(default_factory=Grounding, description="Context the AI is grounded in.")
    scorecard: ScorecardOptions = Field(
        default_factory=ScorecardOptions, description="What the scorecard contains."
    )
    voice: VoiceSettings = Field(default_factory=VoiceSettings, description="How the interviewer sounds.")

    @field_validator("rubric")
    @classmethod
    def _rubric_rules(cls, rubric: list[RubricDimension]) -> list[RubricDimension]:
        return _check_rubric(rubric)

    @model_validator(mode="after")
    def _logic_fits_rubric(self) -> AgentProfileSpec:
        logic = self.scoring.recommendation_logic
        rule_based = self.scoring.scoring_method is ScoringMethod.RULE_BASED
        if not logic or not (rule_based or is_rule_program(logic)):
            return self
        try:
            rules.validate(logic, [d.name for d in self.rubric], recommendation_labels(self.use_case))
        except rules.RuleError as err:
            # Only the whole profile knows the rubric, but the error belongs to the field, so it is
            # raised as that field's error (a plain ValueError here would point at the profile).
            error = PydanticCustomError("value_error", "Value error, {error}", {"error": str(err)})
            detail = InitErrorDetails(type=error, loc=("scoring", "recommendationLogic"), input=logic)
            raise ValidationError.from_exception_data(type(self).__name__, [detail]) from None
        return self


class AgentProfileCreate(AgentProfileSpec):
    """Request body to create an agent profile."""


class AgentProfileUpdate(InputModel):
    """Partial update: only the fields sent change; nested objects are replaced whole."""

    name: Name | None = Field(default=None, description="Display name.")
    intro: LongText | None = Field(default=None, description="How the AI introduces itself.")
    use_case: UseCase | None = Field(default=None, description="Recommendation vocabulary.")
    focus: Focus | None = Field(default=None, description="Interview type.")
    rubric: list[RubricDimension] | None = Field(
        default=None, min_length=1, max_length=MAX_DIMENSIONS, description="Replacement rubric."
    )
    behavior: Behavior | None = Field(default=None, description="Replacement behaviour.")
    scoring: Scoring | None = Field(default=None, description="Replacement scoring rules.")
    grounding: Grounding | None = Field(default=None, description="Replacement grounding.")
    scorecard: ScorecardOptions | None = Field(default=None, description="Replacement scorecard flags.")
    voice: VoiceSettings | None = Field(default=None, description="Replacement voice.")

    @field_validator("rubric")
    @classmethod
    def _rubric_rules(cls, rubric: list[RubricDimension] | None) -> list[RubricDimension] | None:
        return None if rubric is None else _check_rubric(rubric)


class AgentProfile(AgentProfileSpec, ResourceOut):
    """An agent profile as stored."""

    model_config = ApiModel.model_config
