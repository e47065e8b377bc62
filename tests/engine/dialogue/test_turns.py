"""Turn-taking state machine: a hand-moved clock, exact deadlines, no sleeping."""

from __future__ import annotations

import math
from typing import Any

import pytest

from engine.dialogue.turns import (
    Acknowledge,
    EndOfTurn,
    IdleEnd,
    Interrupt,
    Nudge,
    Pause,
    Resume,
    TurnConfig,
    TurnState,
    TurnTaker,
    echo_similarity,
    is_backchannel,
)

QUESTION = "Tell me about a project where you had to design a database schema from scratch."


def listening(at: float = 0.0, config: TurnConfig | None = None) -> TurnTaker:
    """A turn taker whose interviewer asked QUESTION from 0 to `at`; the candidate has the floor."""
    turns = TurnTaker(config)
    assert turns.interviewer_started(0.0, QUESTION) == []
    assert turns.interviewer_finished(at) == []
    assert state(turns) is TurnState.LISTENING
    return turns


def utterance(
    turns: TurnTaker, start: float, end: float, text: str, final_at: float | None = None
) -> list[Any]:
    """One utterance whose final arrives at `final_at` (default: with the VAD's end)."""
    actions: list[Any] = []
    actions += turns.speech_started(start)
    actions += turns.speech_ended(end)
    actions += turns.final(end if final_at is None else final_at, text)
    return actions


def state(turns: TurnTaker) -> TurnState:
    """Read through a call, so mypy does not narrow the property across events."""
    return turns.state


# -- end of turn ------------------------------------------------------------------------------------


def test_complete_answer_ends_the_turn_at_exactly_end_silence() -> None:
    turns = listening(at=3.0)
    assert utterance(turns, 4.0, 6.0, "I used PostgreSQL with a normalised schema.") == []
    assert turns.next_deadline() == pytest.approx(6.25)
    assert turns.tick(6.249) == []
    assert state(turns) is TurnState.LISTENING
    assert turns.tick(6.25) == [EndOfTurn("I used PostgreSQL with a normalised schema.", None)]
    assert state(turns) is TurnState.THINKING
    assert turns.next_deadline() is None
    assert turns.tick(100.0) == []  # no idle timers while thinking


def test_trailing_and_waits_longer() -> None:
    turns = listening(at=3.0)
    assert utterance(turns, 4.0, 6.0, "I used PostgreSQL and...") == []
    assert turns.next_deadline() == pytest.approx(6.0 + 0.25 + 0.9)
    assert turns.tick(6.25) == []
    assert turns.tick(7.149) == []
    assert turns.tick(7.15) == [EndOfTurn("I used PostgreSQL and...", None)]


def test_mid_sentence_pause_then_more_speech_is_one_turn() -> None:
    turns = listening(at=3.0)
    assert utterance(turns, 4.0, 6.0, "We chose the") == []
    assert turns.next_deadline() == pytest.approx(7.15)
    # The candidate goes on before the longer deadline: the deadline is cancelled.
    assert turns.speech_started(7.0) == []
    assert turns.next_deadline() is None
    assert turns.tick(7.2) == []
    assert turns.speech_ended(9.0) == []
    assert turns.final(9.1, "star schema for reporting.") == []
    assert turns.next_deadline() == pytest.approx(9.25)
    assert turns.tick(9.25) == [EndOfTurn("We chose the star schema for reporting.", None)]


def test_pending_turn_names_the_text_a_silent_candidate_ends_with() -> None:
    turns = listening(at=3.0)
    assert turns.pending_turn() is None
    turns.speech_started(4.0)
    assert turns.pending_turn() is None  # speaking
    turns.speech_ended(6.0)
    assert turns.pending_turn() is None  # its final is still due
    turns.final(6.1, "We chose the")
    assert turns.pending_turn() == "We chose the"
    turns.speech_started(6.5)  # goes on: nothing to prepare for now
    assert turns.pending_turn() is None
    turns.speech_ended(8.0)
    turns.final(8.2, "star schema for reporting.")
    assert turns.pending_turn() == "We chose the star schema for reporting."
    assert turns.tick(8.25) == [EndOfTurn("We chose the star schema for reporting.", None)]
    assert turns.pending_turn() is None  # thinking
    assert listening(at=3.0).pending_turn() is None


def test_no_final_text_no_end_of_turn() -> None:
    turns = listening(at=3.0)
    assert utterance(turns, 4.0, 5.0, "") == []
    assert turns.tick(5.25) == []
    assert turns.tick(8.0) == []
    assert state(turns) is TurnState.LISTENING


def test_late_final_fires_on_arrival_once_the_deadline_passed() -> None:
    turns = listening(at=3.0)
    assert turns.speech_started(4.0) == []
    assert turns.partial(5.0, "I built the billing") == []
    assert turns.speech_ended(6.0) == []
    # The final is pending: only idle, counted from the speech end.
    assert turns.next_deadline() == pytest.approx(6.0 + 15.0)
    assert turns.tick(6.5) == []
    assert turns.final(7.5, "I built the billing service.") == [
        EndOfTurn("I built the billing service.", None)
    ]


def test_final_before_its_deadline_waits_for_it() -> None:
    turns = listening(at=3.0)
    assert turns.speech_started(4.0) == []
    assert turns.speech_ended(6.0) == []
    assert turns.final(6.1, "I led the migration.") == []
    assert turns.next_deadline() == pytest.approx(6.25)
    assert turns.tick(6.25) == [EndOfTurn("I led the migration.", None)]


def test_waits_for_all_pending_finals() -> None:
    turns = listening(at=3.0)
    assert turns.speech_started(4.0) == []
    assert turns.speech_ended(5.0) == []
    assert turns.speech_started(5.5) == []
    assert turns.speech_ended(6.0) == []
    assert turns.final(6.1, "First part.") == []
    assert turns.tick(7.0) == []  # the second utterance's final is still on its way
    assert turns.final(7.2, "Second part.") == [EndOfTurn("First part. Second part.", None)]


def test_partial_decides_the_wait_until_the_final_arrives() -> None:
    turns = listening(at=3.0)
    assert turns.speech_started(4.0) == []
    assert turns.partial(4.5, "So I think we") == []
    assert turns.speech_ended(6.0) == []
    # A complete final arriving early shortens the wait to end_silence_s.
    assert turns.final(6.1, "So I think we did well.") == []
    assert turns.next_deadline() == pytest.approx(6.25)


def test_request_is_attached_to_the_end_of_turn() -> None:
    turns = listening(at=3.0)
    assert utterance(turns, 4.0, 5.0, "Sorry, could you repeat the question?") == []
    assert turns.tick(5.25) == [EndOfTurn("Sorry, could you repeat the question?", "repeat")]


def test_thinking_until_the_interviewer_speaks_again() -> None:
    turns = listening(at=3.0)
    utterance(turns, 4.0, 5.0, "Done.")
    assert turns.tick(5.25) == [EndOfTurn("Done.", None)]
    assert turns.interviewer_started(6.0, "Thanks. Next question.") == []
    assert state(turns) is TurnState.SPEAKING
    assert turns.interviewer_finished(8.0) == []
    assert state(turns) is TurnState.LISTENING
    assert turns.next_deadline() == pytest.approx(8.0 + 15.0)


# -- the voice model's verdict ----------------------------------------------------------------------
#
# What the live session does around these: a pause 100 ms into the candidate's silence goes to the model;
# a finished-sounding verdict closes the utterance at once (speech_ended comes ~0.2 s after the voice,
# not after the 0.3 s hangover); an unfinished one leaves the hangover to run.


def test_finished_voice_and_finished_words_end_the_turn_as_soon_as_the_final_is_in() -> None:
    turns = listening(at=3.0)
    turns.speech_started(4.0)
    assert turns.turn_verdict(6.2, complete=True) == []  # in the pause, before the utterance closes
    assert turns.speech_ended(6.21) == []
    assert turns.next_deadline() == pytest.approx(6.21 + 15.0)  # the final is still on its way
    assert turns.final(6.39, "I would use a queue.") == [EndOfTurn("I would use a queue.", None)]


ACK = TurnConfig(acknowledge_min_words=6)
ANSWER = "I split the ledger from the invoices, and month end stopped locking the table."


def finished_but_untranscribed(config: TurnConfig = ACK, partial: str = ANSWER) -> TurnTaker:
    """A long answer whose voice sounded finished at 6.2 s; its final is still being worked out."""
    turns = listening(at=3.0, config=config)
    turns.speech_started(4.0)
    turns.partial(5.5, partial)
    assert turns.turn_verdict(6.2, complete=True) == []
    return turns


def test_a_finished_answer_is_acknowledged_while_its_final_is_worked_out() -> None:
    turns = finished_but_untranscribed()
    assert turns.speech_ended(6.21) == [Acknowledge()]
    assert state(turns) is TurnState.LISTENING  # acknowledging is not taking the turn
    # The interviewer says "Thank you." while the final arrives: the turn ends once it has finished.
    assert turns.interviewer_started(6.25, "Thank you.") == []
    assert turns.final(6.9, ANSWER) == []
    assert turns.interviewer_finished(7.0) == [EndOfTurn(ANSWER, None)]


def test_the_acknowledgement_waits_out_a_pause_between_sentences() -> None:
    config = TurnConfig(acknowledge_min_words=6, acknowledge_after_s=0.4)
    turns = finished_but_untranscribed(config)
    assert turns.speech_ended(6.21) == []
    assert turns.next_deadline() == pytest.approx(6.61)
    # The candidate goes on 0.3 s later: they never heard an acknowledgement.
    assert turns.speech_started(6.5) == []
    assert turns.tick(6.7) == []
    turns.partial(7.5, "and after that the month end run stopped locking the table.")
    turns.speech_ended(8.0)
    turns.turn_verdict(8.01, complete=True)
    assert turns.tick(8.3) == []
    assert turns.tick(8.41) == [Acknowledge()]


def test_an_acknowledgement_is_said_once_per_turn() -> None:
    turns = finished_but_untranscribed()
    assert turns.speech_ended(6.21) == [Acknowledge()]
    assert turns.tick(6.5) == []
    assert turns.next_deadline() == pytest.approx(6.21 + 15.0)  # only the idle timer: no second one


def test_the_candidate_going_on_after_an_acknowledgement_keeps_the_turn() -> None:
    turns = finished_but_untranscribed()
    assert turns.speech_ended(6.21) == [Acknowledge()]
    assert turns.interviewer_started(6.25, "Thank you.") == []
    assert turns.speech_started(6.4) == [Pause()]  # it was a backchannel: they had more to say
    assert turns.final(6.9, ANSWER) == []
    # No words of it known yet: the acknowledgement carries on after a breath, not at once.
    assert turns.speech_ended(6.95) == []
    turns.final(7.0, "Oh, and")
    assert turns.tick(7.36) == [Resume()]
    assert turns.interviewer_finished(7.45) == []
    turns.speech_started(7.5)
    turns.speech_ended(9.0)
    rest = "we also added a read replica for the reports."
    assert turns.final(9.1, rest) == []
    assert turns.tick(9.0 + 0.25 + 0.01) == [EndOfTurn(f"{ANSWER} Oh, and {rest}", None)]


@pytest.mark.parametrize(
    ("config", "partial", "verdict"),
    [
        (TurnConfig(), ANSWER, True),  # off by default in the machine
        (ACK, "I split the ledger.", True),  # too few words to be sure it was an answer
        (ACK, "I split the ledger from the invoices, and then", True),  # the words go on
        (ACK, ANSWER, False),  # the voice sounded unfinished
        (ACK, "Sorry, could you repeat the question please?", True),  # a request, not an answer
    ],
)
def test_no_acknowledgement_unless_the_answer_is_clearly_over(
    config: TurnConfig, partial: str, verdict: bool
) -> None:
    turns = listening(at=3.0, config=config)
    turns.speech_started(4.0)
    turns.partial(5.5, partial)
    turns.turn_verdict(6.2, complete=verdict)
    actions = turns.speech_ended(6.21) + turns.tick(6.21 + 1.5)
    assert not [a for a in actions if isinstance(a, Acknowledge)], actions


def test_a_final_right_after_the_acknowledgement_ends_the_turn_at_once() -> None:
    turns = finished_but_untranscribed()
    assert turns.speech_ended(6.21) == [Acknowledge()]
    # The final comes before the interviewer's "Thank you." has started: the reply is queued behind it.
    assert turns.final(6.22, ANSWER) == [EndOfTurn(ANSWER, None)]


def test_no_acknowledgement_when_the_final_is_in_with_the_verdict() -> None:
    turns = listening(at=3.0, config=ACK)
    turns.speech_started(4.0)
    assert turns.speech_ended(6.21) == []  # no verdict yet
    assert turns.final(6.3, ANSWER) == []  # complete words, waiting the silence out
    assert turns.turn_verdict(6.31, complete=True) == [EndOfTurn(ANSWER, None)]


def test_finished_voice_but_a_trailing_and_waits_as_the_words_say() -> None:
    turns = listening(at=3.0)
    turns.speech_started(4.0)
    turns.turn_verdict(6.2, complete=True)
    turns.speech_ended(6.21)
    assert turns.final(6.39, "I would use a queue and") == []
    assert turns.next_deadline() == pytest.approx(6.21 + 0.25 + 0.9)


def test_unfinished_voice_waits_for_the_hesitation_even_after_finished_words() -> None:
    # "I would use a queue." with a held, rising tone: Whisper's full stop says finished, the voice not.
    turns = listening(at=3.0)
    turns.speech_started(4.0)
    turns.turn_verdict(6.2, complete=False)
    turns.speech_ended(6.3)
    assert turns.final(6.5, "I would use a queue.") == []
    assert turns.next_deadline() == pytest.approx(6.3 + 1.0)
    assert turns.tick(6.3 + 0.9) == []  # a 1.2 s pause from the voice's end at 6.0 is not cut into
    # ...and a long silence still ends the turn: the hesitation is the cap, the interview never hangs.
    assert turns.tick(6.3 + 1.0) == [EndOfTurn("I would use a queue.", None)]


def test_speech_after_an_unfinished_verdict_joins_the_same_turn() -> None:
    turns = listening(at=3.0)
    turns.speech_started(4.0)
    turns.turn_verdict(6.2, complete=False)
    turns.speech_ended(6.3)
    turns.final(6.5, "I would use a queue")
    assert turns.speech_started(6.9) == []  # 0.9 s later: no deadline had passed
    assert turns.next_deadline() is None
    turns.speech_ended(8.0)
    assert turns.final(8.2, "and process the jobs in order.") == []
    # This utterance has no verdict of its own (the model was slow): the words decide, as without it.
    assert turns.next_deadline() == pytest.approx(8.25)
    assert turns.tick(8.25) == [EndOfTurn("I would use a queue and process the jobs in order.", None)]


def test_a_verdict_withdrawn_when_the_voice_comes_back_in_the_same_utterance() -> None:
    turns = listening(at=3.0)
    turns.speech_started(4.0)
    turns.turn_verdict(6.2, complete=True)
    assert turns.speech_resumed(6.25) == []  # the voice was back before the hangover ran out
    turns.speech_ended(7.3)
    turns.final(7.5, "I would use a queue for the orders.")
    assert turns.next_deadline() == pytest.approx(7.3 + 0.25)  # the transcript's wait, not the fast path


def test_a_late_verdict_moves_the_deadline_and_one_after_the_turn_is_ignored() -> None:
    turns = listening(at=3.0)
    turns.speech_started(4.0)
    turns.speech_ended(6.3)
    turns.final(6.4, "We chose Postgres.")
    assert turns.next_deadline() == pytest.approx(6.55)
    assert turns.turn_verdict(6.45, complete=False) == []
    assert turns.next_deadline() == pytest.approx(7.3)
    assert turns.turn_verdict(6.5, complete=True) == [EndOfTurn("We chose Postgres.", None)]
    assert turns.turn_verdict(6.6, complete=True) == []  # thinking: nothing left to end
    assert state(turns) is TurnState.THINKING


def test_a_new_utterance_forgets_the_last_verdict() -> None:
    turns = listening(at=3.0)
    turns.speech_started(4.0)
    turns.turn_verdict(5.1, complete=True)
    turns.speech_ended(5.11)  # "Yes", finished-sounding...
    turns.speech_started(5.25)  # ...and the candidate goes on: the verdict was about "Yes" alone
    turns.final(5.3, "Yes")
    turns.speech_ended(7.3)
    assert turns.final(7.4, "we sharded by customer.") == []
    assert turns.next_deadline() == pytest.approx(7.55)


def test_a_backchannel_over_the_interviewer_with_a_finished_verdict_ends_no_turn() -> None:
    turns = speaking(TurnConfig())
    assert turns.speech_started(11.0) == [Pause()]
    assert turns.turn_verdict(11.5, complete=True) == []
    assert turns.speech_ended(11.51) == []  # no words known yet: a breath's pause before carrying on
    assert turns.final(11.7, "Mm-hmm.") == []  # dropped: a backchannel over the interviewer
    assert turns.tick(11.91) == [Resume()]
    assert turns.interviewer_finished(14.0) == []
    assert turns.tick(14.5) == []
    assert state(turns) is TurnState.LISTENING


def test_a_backchannel_as_the_whole_answer_is_a_turn() -> None:
    # In listening, "Yeah." is the answer (a yes/no question): finished voice and words, no wait.
    turns = listening(at=3.0)
    turns.speech_started(4.0)
    turns.turn_verdict(4.6, complete=True)
    turns.speech_ended(4.61)
    assert turns.final(4.8, "Yeah.") == [EndOfTurn("Yeah.", None)]


# -- barge-in ---------------------------------------------------------------------------------------


# Without the hold, and with a short threshold: the barge-in decision on its own.
DECIDE = TurnConfig(barge_in_min_s=0.25, hold_on_overlap=False)


def speaking(config: TurnConfig = DECIDE) -> TurnTaker:
    turns = TurnTaker(config)
    assert turns.interviewer_started(10.0, QUESTION) == []
    assert state(turns) is TurnState.SPEAKING
    return turns


def test_barge_in_after_min_speech_with_real_text() -> None:
    turns = speaking()
    assert turns.speech_started(11.0) == []
    assert turns.next_deadline() == pytest.approx(11.25)
    assert turns.tick(11.249) == []
    assert turns.partial(11.2, "Sorry to interrupt") == []
    assert state(turns) is TurnState.SPEAKING
    assert turns.tick(11.25) == [Interrupt()]
    assert state(turns) is TurnState.LISTENING
    assert turns.tick(11.3) == []  # once
    assert turns.interviewer_finished(11.3) == []  # the caller's stop, after the fact: a no-op
    assert turns.speech_ended(13.0) == []
    assert turns.final(13.1, "Sorry to interrupt, can I ask something first?") == []
    assert turns.tick(13.25) == [EndOfTurn("Sorry to interrupt, can I ask something first?", None)]


def test_barge_in_without_text_yet_fires_at_min_speech() -> None:
    turns = speaking()
    assert turns.speech_started(11.0) == []
    assert turns.tick(11.25) == [Interrupt()]


def test_after_an_interrupt_the_final_is_the_turn_even_if_short() -> None:
    turns = speaking()
    turns.speech_started(11.0)
    assert turns.tick(11.25) == [Interrupt()]
    assert turns.speech_ended(11.5) == []
    # Judged as a barge-in already: "Okay." is now the candidate's answer, not a backchannel.
    assert turns.final(11.6, "Okay.") == []
    assert turns.tick(11.75) == [EndOfTurn("Okay.", None)]


def test_barge_in_when_partial_arrives_late() -> None:
    turns = speaking()
    turns.speech_started(11.0)
    assert turns.partial(11.1, "mm-hmm") == []
    assert turns.next_deadline() is None  # a backchannel so far: nothing to wait for
    assert turns.tick(12.0) == []
    assert turns.partial(12.1, "Mm-hmm, but actually I disagree") == [Interrupt()]


def test_short_speech_does_not_interrupt() -> None:
    turns = speaking()
    assert turns.speech_started(11.0) == []
    assert turns.speech_ended(11.2) == []
    assert state(turns) is TurnState.SPEAKING
    assert turns.speech_started(12.0) == []
    assert turns.speech_ended(12.25) == [Interrupt()]  # exactly long enough


@pytest.mark.parametrize("text", ["mm-hmm", "Okay.", "Mm-hmm.", "yeah, right", "OK", "Got it.", "I see"])
def test_backchannels_do_not_interrupt(text: str) -> None:
    turns = speaking()
    turns.speech_started(11.0)
    assert turns.partial(11.1, text) == []
    assert turns.tick(11.25) == []
    assert turns.tick(13.0) == []
    assert turns.speech_ended(13.0) == []
    assert turns.final(13.1, text) == []
    assert state(turns) is TurnState.SPEAKING
    # The backchannel is not the candidate's turn: after the interviewer, nothing ends.
    assert turns.interviewer_finished(15.0) == []
    assert turns.next_deadline() == pytest.approx(30.0)  # only the idle nudge


def test_echo_of_the_interviewer_does_not_interrupt() -> None:
    turns = speaking()
    turns.speech_started(11.0)
    assert turns.partial(11.1, "a project where you had to design") == []
    assert turns.tick(11.25) == []
    assert turns.tick(12.0) == []
    assert turns.speech_ended(12.5) == []
    assert turns.final(12.6, "where you had to design a database schema") == []
    assert turns.interviewer_finished(14.0) == []
    assert turns.next_deadline() == pytest.approx(29.0)  # no turn from the echo, idle from 14.0


def test_partial_echo_below_threshold_interrupts() -> None:
    turns = speaking()
    turns.speech_started(11.0)
    # 2 of 5 words appear in QUESTION: 0.4 < 0.6
    assert echo_similarity("I designed a schema twice", QUESTION) == pytest.approx(0.4)
    assert turns.partial(11.3, "I designed a schema twice") == [Interrupt()]


def test_backchannel_final_is_discarded_but_the_answer_is_kept() -> None:
    turns = speaking()
    utterance(turns, 11.0, 11.2, "Mm-hmm.")
    assert turns.interviewer_finished(14.0) == []
    assert utterance(turns, 15.0, 17.0, "Yes, I designed one for an online shop.") == []
    assert turns.tick(17.25) == [EndOfTurn("Yes, I designed one for an online shop.", None)]


def test_backchannel_in_listening_is_an_answer() -> None:
    turns = listening(at=3.0)
    assert utterance(turns, 4.0, 4.5, "Yes.") == []
    assert turns.tick(4.75) == [EndOfTurn("Yes.", None)]


def test_short_real_words_over_the_interviewer_join_the_next_turn() -> None:
    turns = speaking()
    utterance(turns, 11.0, 11.2, "Wait.")
    assert state(turns) is TurnState.SPEAKING
    assert turns.interviewer_finished(14.0) == []
    # The turn ends end_silence_s after the interviewer finished, not after the old utterance.
    assert turns.next_deadline() == pytest.approx(14.25)
    assert turns.tick(14.25) == [EndOfTurn("Wait.", None)]


def test_candidate_already_speaking_when_interviewer_starts() -> None:
    turns = listening(at=3.0)
    turns.speech_started(4.0)
    # The interviewer's next line starts over the candidate: it pauses at once.
    assert turns.interviewer_started(4.5, "Let me ask another way.") == [Pause()]
    assert turns.next_deadline() == pytest.approx(5.7)
    assert turns.tick(5.7) == [Interrupt()]


# -- the hold: pause at once, then resume or interrupt ----------------------------------------------


def test_speech_over_the_interviewer_pauses_it_at_once_then_a_barge_in_stops_it() -> None:
    turns = speaking(TurnConfig())
    assert turns.speech_started(11.0) == [Pause()]
    assert state(turns) is TurnState.SPEAKING
    assert turns.partial(11.5, "Sorry, can I") == []
    assert turns.tick(12.199) == []
    assert turns.tick(12.2) == [Interrupt()]
    assert state(turns) is TurnState.LISTENING
    assert turns.speech_ended(13.0) == []  # no resume after an interrupt
    assert turns.final(13.1, "Sorry, can I ask something first?") == []
    assert turns.tick(13.25) == [EndOfTurn("Sorry, can I ask something first?", None)]


@pytest.mark.parametrize("text", ["Mm-hmm.", "Okay.", "", "Mm-mm.", "Hmm.", "Wait."])
def test_short_speech_over_the_interviewer_resumes_it(text: str) -> None:
    turns = speaking(TurnConfig())
    assert turns.speech_started(11.0) == [Pause()]
    # The VAD closes it (hangover included) before the barge-in threshold, no words of it known yet:
    # the interviewer carries on after a breath's pause (the candidate may be going on).
    assert turns.speech_ended(12.1) == []
    assert state(turns) is TurnState.SPEAKING
    assert turns.next_deadline() == pytest.approx(12.5)
    assert turns.final(12.3, text) == []
    assert turns.tick(12.45) == []
    assert turns.tick(12.5) == [Resume()]
    # A second one pauses and resumes again.
    assert turns.speech_started(12.6) == [Pause()]
    assert turns.speech_ended(13.0) == []
    assert turns.final(13.1, text) == []
    assert turns.tick(13.4) == [Resume()]
    assert turns.interviewer_finished(15.0) == []
    if text != "Wait.":
        assert turns.next_deadline() == pytest.approx(30.0)  # only the idle nudge: no turn from noise
    else:
        assert turns.tick(15.25) == [EndOfTurn("Wait. Wait.", None)]  # real words join the next turn


@pytest.mark.parametrize("partial", ["mm-hmm", "okay", "yeah"])
def test_a_backchannel_heard_as_one_resumes_the_interviewer_at_once(partial: str) -> None:
    turns = speaking(TurnConfig())
    assert turns.speech_started(11.0) == [Pause()]
    assert turns.partial(11.3, partial) == []
    assert turns.speech_ended(11.8) == [Resume()]
    assert turns.tick(12.5) == []  # nothing more to resume


def test_an_echo_of_the_interviewer_resumes_it_at_once() -> None:
    turns = speaking(TurnConfig())  # the interviewer is saying "Tell me about a system you designed."
    assert turns.speech_started(11.0) == [Pause()]
    assert turns.partial(11.4, "tell me about a system") == []
    assert turns.speech_ended(11.9) == [Resume()]


def test_a_candidate_pausing_while_interrupting_is_not_talked_over_in_the_pause() -> None:
    turns = speaking(TurnConfig())
    assert turns.speech_started(11.0) == [Pause()]
    assert turns.partial(11.4, "I built the") == []
    # 1 s with the VAD's hangover, under the barge-in threshold: not an interruption yet...
    assert turns.speech_ended(12.0) == []
    assert turns.tick(12.2) == []  # ...and the interviewer stays paused for the breath
    # The candidate goes on: still paused (no second Pause), and this speech is judged on its own.
    assert turns.speech_started(12.3) == []
    assert turns.next_deadline() == pytest.approx(13.5)
    assert turns.tick(13.45) == []
    assert turns.tick(13.5) == [Interrupt()]
    assert state(turns) is TurnState.LISTENING
    assert turns.speech_ended(14.0) == []  # no resume after an interrupt


def test_resuming_at_once_is_a_setting() -> None:
    turns = speaking(TurnConfig(resume_after_s=0.0))
    assert turns.speech_started(11.0) == [Pause()]
    assert turns.speech_ended(12.0) == [Resume()]
    with pytest.raises(ValueError, match="resume_after_s"):
        TurnConfig(resume_after_s=-0.1)


def test_a_backchannel_that_goes_on_does_not_interrupt_but_is_held_until_it_ends() -> None:
    turns = speaking(TurnConfig())
    assert turns.speech_started(11.0) == [Pause()]
    assert turns.partial(11.5, "mm-hmm, yeah") == []
    assert turns.tick(12.5) == []
    assert turns.speech_ended(13.0) == [Resume()]


def test_without_the_hold_nothing_pauses() -> None:
    turns = speaking(TurnConfig(hold_on_overlap=False))
    assert turns.speech_started(11.0) == []
    assert turns.speech_ended(11.5) == []
    assert turns.tick(12.2) == []


# -- idle -------------------------------------------------------------------------------------------


def test_idle_nudges_once_then_ends() -> None:
    turns = listening(at=3.0)
    assert turns.next_deadline() == pytest.approx(18.0)
    assert turns.tick(17.999) == []
    assert turns.tick(18.0) == [Nudge()]
    assert turns.tick(18.5) == []
    # The nudge itself does not restart the idle clock.
    assert turns.interviewer_started(18.5, "Are you still there?") == []
    assert turns.next_deadline() is None
    assert turns.interviewer_finished(20.0) == []
    assert turns.next_deadline() == pytest.approx(63.0)
    assert turns.tick(62.9) == []
    assert turns.tick(63.0) == [IdleEnd()]
    assert turns.next_deadline() is None
    assert turns.tick(200.0) == []


def test_late_tick_gets_both_nudge_and_end() -> None:
    turns = listening(at=3.0)
    assert turns.tick(100.0) == [Nudge(), IdleEnd()]


def test_no_idle_timers_before_the_interviewer_spoke() -> None:
    turns = TurnTaker()
    assert turns.next_deadline() is None
    assert turns.tick(1000.0) == []


def test_speech_resets_idle() -> None:
    turns = listening(at=3.0)
    assert turns.tick(18.0) == [Nudge()]
    assert turns.speech_started(20.0) == []
    assert turns.next_deadline() is None  # no idle while the candidate speaks
    assert turns.tick(70.0) == []
    assert turns.speech_ended(71.0) == []
    assert turns.final(71.1, "") == []  # noise: nothing recognised
    # Idle restarts from the end of the speech, with a fresh nudge.
    assert turns.next_deadline() == pytest.approx(86.0)
    assert turns.tick(86.0) == [Nudge()]
    assert turns.tick(131.0) == [IdleEnd()]


def test_idle_uses_configured_times() -> None:
    turns = listening(at=0.0, config=TurnConfig(nudge_after_s=5.0, end_after_s=7.0))
    assert turns.tick(5.0) == [Nudge()]
    assert turns.next_deadline() == pytest.approx(7.0)
    assert turns.tick(7.0) == [IdleEnd()]


# -- next_deadline ----------------------------------------------------------------------------------


def test_next_deadline_values_through_a_turn() -> None:
    turns = TurnTaker(TurnConfig(end_silence_s=0.5, incomplete_extra_s=1.0, barge_in_min_s=0.3))
    assert turns.next_deadline() is None
    turns.interviewer_started(0.0, QUESTION)
    assert turns.next_deadline() is None
    turns.speech_started(1.0)
    assert turns.next_deadline() == pytest.approx(1.3)
    turns.partial(1.1, "okay")
    assert turns.next_deadline() is None
    turns.speech_ended(1.4)
    turns.final(1.5, "okay")
    turns.interviewer_finished(4.0)
    assert turns.next_deadline() == pytest.approx(19.0)
    turns.speech_started(5.0)
    assert turns.next_deadline() is None
    turns.partial(5.5, "Well, I")
    turns.speech_ended(6.0)
    assert turns.next_deadline() == pytest.approx(21.0)  # final pending: only idle
    turns.final(6.1, "Well, I")
    assert turns.next_deadline() == pytest.approx(7.5)
    assert turns.tick(7.5) == [EndOfTurn("Well, I", None)]
    assert turns.next_deadline() is None


# -- custom backchannels (the heuristics themselves: test_turn_text.py) ------------------------------


def test_custom_backchannels() -> None:
    config = TurnConfig(backchannels=frozenset({"indeed"}), barge_in_min_s=0.25, hold_on_overlap=False)
    assert is_backchannel("Indeed.", config.backchannels)
    assert not is_backchannel("okay", config.backchannels)
    turns = TurnTaker(config)
    turns.interviewer_started(0.0, QUESTION)
    turns.speech_started(1.0)
    assert turns.partial(1.1, "okay") == []
    assert turns.tick(1.25) == [Interrupt()]


# -- config -----------------------------------------------------------------------------------------


def test_config_defaults() -> None:
    config = TurnConfig()
    assert (config.end_silence_s, config.incomplete_extra_s, config.barge_in_min_s) == (0.25, 0.9, 1.2)
    assert config.hold_on_overlap is True
    assert config.echo_similarity == 0.6
    assert (config.nudge_after_s, config.end_after_s) == (15.0, 60.0)
    assert (config.confident_silence_s, config.hesitation_s) == (0.0, 1.0)
    assert "mm-hmm" in config.backchannels
    assert "i see" in config.backchannels


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"end_silence_s": -0.1}, "end_silence_s"),
        ({"end_silence_s": math.nan}, "end_silence_s"),
        ({"incomplete_extra_s": -1.0}, "incomplete_extra_s"),
        ({"barge_in_min_s": -0.01}, "barge_in_min_s"),
        ({"confident_silence_s": -0.1}, "confident_silence_s"),
        ({"hesitation_s": math.nan}, "hesitation_s"),
        ({"echo_similarity": 0.0}, "echo_similarity"),
        ({"echo_similarity": 1.5}, "echo_similarity"),
        ({"nudge_after_s": 0.0}, "nudge_after_s"),
        ({"nudge_after_s": 30.0, "end_after_s": 30.0}, "end_after_s"),
        ({"backchannels": frozenset({"Okay"})}, "backchannels"),
        ({"backchannels": frozenset({" - "})}, "backchannels"),
        ({"acknowledge_min_words": -1}, "acknowledge_min_words"),
        ({"acknowledge_after_s": -0.1}, "acknowledge_after_s"),
    ],
)
def test_config_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TurnConfig(**kwargs)


def test_config_is_frozen() -> None:
    config = TurnConfig()
    with pytest.raises(AttributeError):
        config.end_silence_s = 1.0  # type: ignore[misc]
