"""Turn-taking: who holds the floor, when the candidate's turn is over, barge-in and idle handling.

A pure state machine. It does no I/O, owns no tasks and reads no clock: every input carries `now`
(seconds on any monotonic timeline the caller likes), and every method returns the `Action`s the
caller must carry out. `next_deadline()` says when the caller should call `tick()` next if nothing
else happens; the caller owns the timer.

States:

- `LISTENING`: the candidate has the floor. The turn ends `end_silence_s` after the VAD's utterance end
  when the transcript looks complete, `end_silence_s + incomplete_extra_s` when it does not (a
  trailing "and…", a mid-sentence pause); speech starting again cancels the deadline and the next
  utterance joins the same turn. A turn needs at least one non-empty final transcript; when the final
  arrives after the deadline, the turn ends as soon as it arrives. With no candidate speech, the
  interviewer nudges once after `nudge_after_s` and gives up after `end_after_s`.

  A voice model may also judge the latest utterance (`turn_verdict`: did the voice sound finished?).
  Finished and a complete-looking transcript: the turn ends `confident_silence_s` after the utterance
  end, the fast path. Unfinished (a trailing "and", a held or rising tone, a pause mid-sentence): it
  waits `hesitation_s`, whatever the transcript says, which is also the longest any turn waits.
  Finished but the words are not: the transcript's longer wait. No verdict (no model, or it was too
  slow): the transcript alone decides, as above. A verdict applies to the utterance it was made in;
  `speech_resumed` (voice again inside that utterance) and the next utterance withdraw it.
  When the fast path's deadline has passed but a final is still being worked out (a long answer takes
  the recogniser most of a second), and the words so far (finals and the latest partial) look like a
  complete answer of at least `acknowledge_min_words` words, the machine says `Acknowledge` once for
  the turn: the interviewer says "Thank you." at once and the reply follows when the final is in, as
  a person acknowledges before answering. It is not taking the turn: the state stays `LISTENING`, and
  if the candidate goes on, the acknowledgement was a backchannel and the turn carries on.
- `THINKING`: the turn ended (`EndOfTurn`); the interviewer is preparing a reply. No timers run.
- `SPEAKING`: the interviewer is talking. Candidate speech over it first `Pause`s the interviewer at
  once (with `hold_on_overlap`): its audio goes silent, holding its place, so a barge-in is heeded
  within the VAD's start debounce plus one frame. The speech then becomes an `Interrupt` (the rest of
  the interviewer's line is dropped) after `barge_in_min_s` of continuous speech, unless the text heard
  so far is only a backchannel ("mm-hmm", "okay") or an echo of the interviewer's own words; shorter
  speech gets a `Resume` and the interviewer carries on where it stopped: at once when the VAD closes a
  backchannel or an echo, `resume_after_s` later otherwise (words or sounds not yet known to be
  either), so a candidate who pauses for breath while interrupting is not talked over again; speech
  that starts within that time keeps the interviewer paused and is judged afresh. The caller stores only the words actually played
  (`Utterance.spoken_text`).

Caller contract: `speech_started` / `speech_ended` come from the VAD segmenter, in order; `final` is
called exactly once per `speech_ended`, in the same order, with `""` when nothing was recognised
(or recognition failed), so the machine knows when a turn's text is complete; `partial` refers to the
utterance in progress. `interviewer_started` / `interviewer_finished` bracket each interviewer
utterance (`interviewer_finished` is still called after an `Interrupt`; it is then a no-op).
`turn_verdict` refers to the open utterance, or to the last one when none is open, and
`speech_resumed` to the open one; a caller must not deliver a verdict about an utterance once a later
one has started.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

from engine.dialogue.turn_text import (
    DEFAULT_BACKCHANNELS,
    Request,
    detect_request,
    echo_similarity,
    is_backchannel,
    looks_complete,
)
from engine.dialogue.turn_text import split_words as _words

__all__ = [
    "DEFAULT_BACKCHANNELS",
    "Acknowledge",
    "Action",
    "EndOfTurn",
    "IdleEnd",
    "Interrupt",
    "Nudge",
    "Pause",
    "Request",
    "Resume",
    "TurnConfig",
    "TurnState",
    "TurnTaker",
    "detect_request",
    "echo_similarity",
    "is_backchannel",
    "looks_complete",
]


@dataclass(frozen=True, slots=True)
class TurnConfig:
    """Timings in seconds. Validated on construction (`ValueError`)."""

    end_silence_s: float = 0.25
    """Extra silence after the VAD's utterance end before a complete-looking turn ends."""
    incomplete_extra_s: float = 0.9
    """Added to `end_silence_s` when the transcript looks unfinished."""
    barge_in_min_s: float = 1.2
    """Continuous candidate speech over the interviewer after which it stops for good. Counted from the
    VAD's start to its end, so it includes the VAD's hangover (300 ms by default): a backchannel of up
    to about 0.9 s of voice, held for, does not interrupt."""
    hold_on_overlap: bool = True
    """Pause the interviewer as soon as the candidate talks over it, until the speech is judged."""
    resume_after_s: float = 0.4
    """How long the interviewer stays paused after speech over it ended too short to interrupt, unless
    that speech was a backchannel or an echo (those resume at once): a candidate pausing mid-sentence
    while interrupting is not talked over in the pause. 0: resume at once, always."""
    backchannels: frozenset[str] = DEFAULT_BACKCHANNELS
    """Lower-case phrases that never interrupt the interviewer."""
    echo_similarity: float = 0.6
    """Word overlap with the interviewer's current text at or above which candidate text is echo."""
    nudge_after_s: float = 15.0
    end_after_s: float = 60.0
    confident_silence_s: float = 0.0
    """Extra silence after the utterance end when the voice model heard a finished turn and the transcript
    looks complete (instead of `end_silence_s`). The caller typically ends the utterance early then, at
    the model's verdict, so the VAD's hangover is not waited out either."""
    hesitation_s: float = 1.0
    """Extra silence after the utterance end when the voice model heard an unfinished turn, whatever the
    transcript says. The cap on any wait: keep it above `end_silence_s + incomplete_extra_s`."""
    acknowledge_min_words: int = 0
    """When the turn is over by the fast path (the voice sounded finished, the words so far look
    complete) but the last final transcript is still being worked out: `Acknowledge` at once, if the
    answer so far has at least this many words, so the candidate hears "Thank you." while the reply is
    prepared, as a person would. 0: never; the reply waits for the transcript."""
    acknowledge_after_s: float = 0.0
    """How long after the fast path's deadline the acknowledgement waits: the pause between two
    sentences often sounds finished too, and a candidate who goes on within this time hears nothing."""

    def __post_init__(self) -> None:
        for name in (
            "end_silence_s",
            "incomplete_extra_s",
            "barge_in_min_s",
            "resume_after_s",
            "confident_silence_s",
            "hesitation_s",
            "acknowledge_after_s",
        ):
            value = getattr(self, name)
            if not value >= 0:  # also rejects NaN
                raise ValueError(f"{name} must be >= 0, got {value!r}")
        if self.acknowledge_min_words < 0:
            raise ValueError(f"acknowledge_min_words must be >= 0, got {self.acknowledge_min_words!r}")
        if not 0 < self.echo_similarity <= 1:
            raise ValueError(f"echo_similarity must be in (0, 1], got {self.echo_similarity!r}")
        if not self.nudge_after_s > 0:
            raise ValueError(f"nudge_after_s must be > 0, got {self.nudge_after_s!r}")
        if not self.end_after_s > self.nudge_after_s:
            raise ValueError(
                f"end_after_s ({self.end_after_s!r}) must be greater than nudge_after_s ({self.nudge_after_s!r})"
            )
        for phrase in self.backchannels:
            if not isinstance(phrase, str) or not _words(phrase) or phrase != phrase.lower():
                raise ValueError(f"backchannels must be non-empty lower-case phrases, got {phrase!r}")


# -- actions ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Interrupt:
    """Barge-in: stop the interviewer's audio now."""


@dataclass(frozen=True, slots=True)
class Pause:
    """The candidate is talking over the interviewer: silence its audio now, holding its place, until
    `Resume` or `Interrupt`."""


@dataclass(frozen=True, slots=True)
class Resume:
    """The speech over the interviewer was short (a backchannel, a cough, an echo): carry on where it
    paused."""


@dataclass(frozen=True, slots=True)
class EndOfTurn:
    """The candidate's turn is over. `text` joins the turn's finals; `request` is set when the turn
    asks for the question again."""

    text: str
    request: Request | None = None


@dataclass(frozen=True, slots=True)
class Acknowledge:
    """The turn is over, its reply not ready yet: acknowledge the answer now (once per turn). If the
    candidate goes on after all, it was a backchannel and the turn carries on."""


@dataclass(frozen=True, slots=True)
class Nudge:
    """The candidate has been silent for `nudge_after_s`: check on them (once)."""


@dataclass(frozen=True, slots=True)
class IdleEnd:
    """The candidate has been silent for `end_after_s`: end the session gracefully."""


Action = Pause | Resume | Interrupt | EndOfTurn | Acknowledge | Nudge | IdleEnd


class TurnState(StrEnum):
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"


# -- text heuristics --------------------------------------------------------------------------------

# -- the state machine ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Pending:
    """An utterance whose final has not arrived yet."""

    overlapped: bool  # spoken over the interviewer without interrupting
    echo_ref: str


@dataclass(slots=True)
class _Utterance:
    """The candidate's utterance in progress."""

    started: float
    partial: str = ""
    overlapped: bool = False
    echo_ref: str = ""
    barge_start: float | None = None  # while the interviewer talks over it
    verdict: bool | None = None  # the voice model's: finished (True), unfinished (False), not heard


@dataclass(slots=True)
class _Turn:
    finals: list[str] = field(default_factory=list)
    last_end: float | None = None  # the latest utterance end in this turn
    last_partial: str = ""  # the latest partial of an utterance whose final is pending
    verdict: bool | None = None  # the voice model's verdict on the latest utterance
    acknowledged: bool = False


class TurnTaker:
    """See the module docstring. Starts in `LISTENING` with the idle timers off; they start when the
    interviewer first finishes speaking."""

    def __init__(self, config: TurnConfig | None = None) -> None:
        self.config = config or TurnConfig()
        self._state = TurnState.LISTENING
        self._interviewer_text = ""
        self._utterance: _Utterance | None = None
        self._pending: deque[_Pending] = deque()
        self._turn = _Turn()
        self._listening_since: float | None = None
        self._idle_anchor: float | None = None
        self._nudged = False
        self._idle_over = False
        self._held = False  # the interviewer is paused under the candidate's speech
        self._resume_at: float | None = None  # when a held interviewer carries on, if nobody speaks

    # -- queries ----------------------------------------------------------------------------------

    @property
    def state(self) -> TurnState:
        return self._state

    @property
    def candidate_speaking(self) -> bool:
        return self._utterance is not None

    def pending_turn(self) -> str | None:
        """The text the turn will end with if the candidate stays silent until `next_deadline()`;
        None while they speak, while a final is still due, or when no turn is waiting to end. A caller
        may start preparing its reply to this text and must drop it if the text changes or goes away."""
        if self._turn_deadline() is None:
            return None
        return self._turn_text()

    def next_deadline(self) -> float | None:
        """When `tick()` next has something to decide, or None when only an event can change things."""
        candidates = (
            self._resume_at,
            self._barge_deadline(),
            self._turn_deadline(),
            self._ack_deadline(),
            self._idle_deadline(),
        )
        deadlines = [d for d in candidates if d is not None]
        return min(deadlines, default=None)

    # -- interviewer events -----------------------------------------------------------------------

    def interviewer_started(self, now: float, text: str) -> list[Action]:
        """The interviewer starts saying `text` (its audio starts playing)."""
        self._state = TurnState.SPEAKING
        self._interviewer_text = text
        utterance = self._utterance
        actions: list[Action] = []
        if utterance is not None:
            # The candidate was already talking: from now on it is talking over the interviewer.
            utterance.overlapped = True
            utterance.echo_ref = text
            utterance.barge_start = now
            actions += self._hold()
        return actions + self._check_barge_in(now)

    def interviewer_finished(self, now: float) -> list[Action]:
        """The interviewer's audio ended (played out, or stopped after an `Interrupt`)."""
        if self._state is not TurnState.SPEAKING:
            return []
        self._state = TurnState.LISTENING
        self._listening_since = now
        self._held = False
        self._resume_at = None
        if self._utterance is not None:
            self._utterance.barge_start = None
        elif not self._nudged:
            # After a nudge the idle clock keeps running from before it, so `end_after_s` still ends.
            self._idle_anchor = now
        return self._check_timers(now)

    # -- candidate events -------------------------------------------------------------------------

    def speech_started(self, now: float) -> list[Action]:
        """The VAD opened an utterance."""
        speaking = self._state is TurnState.SPEAKING
        self._utterance = _Utterance(
            started=now,
            overlapped=speaking,
            echo_ref=self._interviewer_text if speaking else "",
            barge_start=now if speaking else None,
        )
        self._idle_anchor = None
        self._nudged = False
        self._turn.verdict = None  # it was about the end of an utterance that is no longer the last
        self._resume_at = None  # held still: this speech is judged on its own
        actions = self._hold() if speaking else []
        return actions + self._check_barge_in(now)

    def speech_resumed(self, now: float) -> list[Action]:
        """Voice came back inside the open utterance: a verdict on the pause before it no longer holds."""
        if self._utterance is not None:
            self._utterance.verdict = None
        return []

    def turn_verdict(self, now: float, complete: bool) -> list[Action]:
        """The voice model's verdict on the candidate's audio up to the latest pause: `complete` when the
        voice sounded finished. About the open utterance, or the last one when none is open."""
        if self._utterance is not None:
            self._utterance.verdict = complete
            return []
        if self._turn.last_end is None:
            return []  # no turn is waiting to end (it already has, or none began)
        self._turn.verdict = complete
        return self._check_timers(now)

    def partial(self, now: float, text: str) -> list[Action]:
        """A partial hypothesis for the utterance in progress."""
        if self._utterance is None:
            return []
        self._utterance.partial = text.strip()
        return self._check_barge_in(now)

    def speech_ended(self, now: float) -> list[Action]:
        """The VAD closed the utterance (its final transcript follows through `final`)."""
        utterance = self._utterance
        if utterance is None:
            return []
        actions = self._check_barge_in(now)  # it lasted until now: long enough, maybe
        utterance = self._utterance
        assert utterance is not None
        self._utterance = None
        self._pending.append(_Pending(utterance.overlapped, utterance.echo_ref))
        self._turn.last_end = now
        self._turn.last_partial = utterance.partial
        self._turn.verdict = utterance.verdict
        self._idle_anchor = now
        if self._held and self._state is TurnState.SPEAKING:
            # Over before it became a barge-in: the interviewer carries on, at once after a backchannel
            # or an echo, after a breath's pause otherwise (the candidate may be going on).
            noise = bool(utterance.partial) and self._is_noise(utterance.partial, utterance.echo_ref)
            if noise or self.config.resume_after_s == 0:
                self._held = False
                actions.append(Resume())
            else:
                self._resume_at = now + self.config.resume_after_s
        actions += self._check_timers(now)
        return actions

    def final(self, now: float, text: str) -> list[Action]:
        """The final transcript of the oldest utterance still waiting for one (`""` for none)."""
        pending = self._pending.popleft() if self._pending else _Pending(False, "")
        text = text.strip()
        if not self._pending:
            self._turn.last_partial = ""
        if text and not (pending.overlapped and self._is_noise(text, pending.echo_ref)):
            self._turn.finals.append(text)
        return self._check_timers(now)

    def tick(self, now: float) -> list[Action]:
        """Fire whatever deadline has passed (see `next_deadline`)."""
        return self._check_resume(now) + self._check_barge_in(now) + self._check_timers(now)

    # -- internals --------------------------------------------------------------------------------

    def _is_noise(self, text: str, echo_ref: str) -> bool:
        """A backchannel, or the interviewer's own voice coming back through the microphone."""
        return is_backchannel(text, self.config.backchannels) or (
            echo_similarity(text, echo_ref) >= self.config.echo_similarity
        )

    def _barge_deadline(self) -> float | None:
        utterance = self._utterance
        if self._state is not TurnState.SPEAKING or utterance is None or utterance.barge_start is None:
            return None
        if utterance.partial and self._is_noise(utterance.partial, utterance.echo_ref):
            return None  # waits for text that is not a backchannel or an echo
        return utterance.barge_start + self.config.barge_in_min_s

    def _check_resume(self, now: float) -> list[Action]:
        if self._resume_at is None or now < self._resume_at:
            return []
        self._resume_at = None
        if not self._held or self._state is not TurnState.SPEAKING or self._utterance is not None:
            return []
        self._held = False
        return [Resume()]

    def _hold(self) -> list[Action]:
        if not self.config.hold_on_overlap or self._held:
            return []
        self._held = True
        return [Pause()]

    def _check_barge_in(self, now: float) -> list[Action]:
        deadline = self._barge_deadline()
        if deadline is None or now < deadline:
            return []
        utterance = self._utterance
        assert utterance is not None
        # The interviewer stops; what the candidate says now is their turn, whatever it turns out to be.
        utterance.overlapped = False
        utterance.barge_start = None
        self._held = False
        self._resume_at = None
        self._state = TurnState.LISTENING
        self._listening_since = now
        return [Interrupt()]

    def _turn_text(self) -> str:
        return " ".join(self._turn.finals)

    def _turn_deadline_raw(self) -> float | None:
        """The end-of-turn deadline from the transcript known so far, whether or not it can fire yet."""
        turn = self._turn
        if self._state is not TurnState.LISTENING or self._utterance is not None or turn.last_end is None:
            return None
        live = " ".join(t for t in (self._turn_text(), turn.last_partial) if t)
        config = self.config
        complete = looks_complete(live)
        if turn.verdict is False:
            wait = config.hesitation_s
        elif turn.verdict and complete:
            wait = config.confident_silence_s
        else:
            wait = config.end_silence_s + (0.0 if complete else config.incomplete_extra_s)
        anchor = turn.last_end
        if self._listening_since is not None:
            anchor = max(anchor, self._listening_since)
        return anchor + wait

    def _turn_deadline(self) -> float | None:
        """The deadline, only when the turn's text is complete enough to end it (a final, none pending)."""
        if self._pending or not self._turn.finals:
            return None
        return self._turn_deadline_raw()

    def _ack_deadline(self) -> float | None:
        """When to acknowledge: the fast path's deadline, while the turn waits only for a final."""
        turn = self._turn
        minimum = self.config.acknowledge_min_words
        if not minimum or turn.acknowledged or not self._pending or turn.verdict is not True:
            return None
        live = " ".join(t for t in (self._turn_text(), turn.last_partial) if t)
        if len(_words(live)) < minimum or not looks_complete(live) or detect_request(live) is not None:
            return None
        deadline = self._turn_deadline_raw()
        return None if deadline is None else deadline + self.config.acknowledge_after_s

    def _idle_deadline(self) -> float | None:
        if (
            self._state is not TurnState.LISTENING
            or self._utterance is not None
            or self._idle_anchor is None
            or self._idle_over
        ):
            return None
        return self._idle_anchor + (self.config.end_after_s if self._nudged else self.config.nudge_after_s)

    def _check_timers(self, now: float) -> list[Action]:
        deadline = self._turn_deadline()
        if deadline is not None and now >= deadline:
            text = self._turn_text()
            self._turn = _Turn()
            self._state = TurnState.THINKING
            self._idle_anchor = None
            self._nudged = False
            return [EndOfTurn(text, detect_request(text))]
        ack = self._ack_deadline()
        if ack is not None and now >= ack:
            self._turn.acknowledged = True
            return [Acknowledge()]
        idle = self._idle_deadline()
        if idle is None or now < idle:
            return []
        if self._nudged:
            self._idle_over = True
            return [IdleEnd()]
        self._nudged = True
        actions: list[Action] = [Nudge()]
        # A caller that ticks late (or not at all in between) still gets the end.
        actions += self._check_timers(now)
        return actions
