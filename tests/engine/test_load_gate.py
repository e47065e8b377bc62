"""The overload decision as a pure state machine: observations and a clock in, a level out."""

from __future__ import annotations

import pytest

from config.settings import LoadSettings
from engine.live.load import MIN_LAG_SAMPLES, EngineAtCapacity, LoadLevel, LoadMonitor, OverloadGate
from media.asr_stats import AsrStats

LIMITS = LoadSettings(
    window_s=5.0, hold_s=10.0, shed_lag_ms=25, refuse_lag_ms=60, shed_wait_ms=150, refuse_wait_ms=400
)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def lags(gate: OverloadGate, clock: Clock, ms: float, seconds: float, step: float = 0.1) -> None:
    """Loop-lag samples of `ms` every `step` for `seconds`, as the monitor takes them."""
    for _ in range(round(seconds / step)):
        clock.t += step
        gate.lag(ms / 1000)


def test_levels_follow_the_mean_lag_over_the_window() -> None:
    clock = Clock()
    gate = OverloadGate(LIMITS, clock)
    lags(gate, clock, 5, 5)
    assert gate.signal().level is LoadLevel.OK
    assert gate.signal().loop_lag_ms == pytest.approx(5)
    lags(gate, clock, 40, 5)  # the whole window at 40 ms: between shed and refuse
    assert gate.signal().level is LoadLevel.SHEDDING
    lags(gate, clock, 100, 5)
    signal = gate.signal()
    assert signal.level is LoadLevel.FULL
    assert signal.loop_lag_ms == pytest.approx(100)


def test_one_spike_does_not_refuse_but_a_sustained_lag_does() -> None:
    clock = Clock()
    gate = OverloadGate(LIMITS, clock)
    lags(gate, clock, 2, 5)
    gate.lag(0.5)  # one 500 ms hiccup (a collection, a model load) among 50 samples: mean ~12 ms
    assert gate.signal().level is LoadLevel.OK
    # Too few samples say nothing, however large (the window is just starting).
    fresh = OverloadGate(LIMITS, clock)
    for _ in range(MIN_LAG_SAMPLES - 1):
        fresh.lag(1.0)
    assert fresh.signal().level is LoadLevel.OK
    fresh.lag(1.0)
    assert fresh.signal().level is LoadLevel.FULL


def test_a_level_holds_after_the_signal_falls_then_steps_down() -> None:
    clock = Clock()
    gate = OverloadGate(LIMITS, clock)
    lags(gate, clock, 100, 5)
    assert gate.signal().level is LoadLevel.FULL
    # Back to normal at once: the mean takes a few seconds to fall below 60 ms, and FULL holds 10 s after.
    lags(gate, clock, 0, 3)
    assert gate.signal().loop_lag_ms > 25
    assert gate.signal().level is LoadLevel.FULL
    # The mean fell below 60 ms after 2 s of zeros and below 25 ms after 3.75 s.
    lags(gate, clock, 0, 10)
    assert gate.signal().level is LoadLevel.SHEDDING  # FULL last reached 11 s ago, SHEDDING 9.25 s ago
    lags(gate, clock, 0, 3)
    assert gate.signal().level is LoadLevel.OK
    # The hold runs on the clock even when nothing is observed.
    lags(gate, clock, 100, 5)
    clock.t += LIMITS.hold_s + 0.1
    assert gate.signal().level is LoadLevel.OK


def test_final_wait_alone_raises_the_level() -> None:
    clock = Clock()
    gate = OverloadGate(LIMITS, clock)
    lags(gate, clock, 1, 5)
    gate.final_waits(0.2 * 3, 3)  # three finals waited 200 ms each
    assert gate.signal().final_wait_ms == pytest.approx(200)
    assert gate.signal().level is LoadLevel.SHEDDING
    gate.final_waits(0.0, 0)  # nothing taken since: no sample, the mean stays
    gate.final_waits(1.0 * 5, 5)  # (0.6 + 5.0) / 8 = 700 ms
    assert gate.signal().final_wait_ms == pytest.approx(700)
    assert gate.signal().level is LoadLevel.FULL
    clock.t += LIMITS.window_s + 0.1  # the waits leave the window: no wait, not a zero-wait sample
    assert gate.signal().final_wait_ms == 0.0


def stats(wait_s: float = 0.0, waits: int = 0) -> AsrStats:
    return AsrStats(0, 0, 0, 0, 0.0, 0.0, 0.0, 0, 0, 0, 0, final_wait_s=wait_s, final_waits=waits)


def test_the_monitor_spaces_partials_out_then_stops_them_and_refuses() -> None:
    clock = Clock()
    monitor = LoadMonitor(LIMITS.model_copy(update={"shed_partial_factor": 3}), stats, clock=clock)
    assert monitor.partial_interval_ms(1000) == 1000
    monitor.admit(1)  # OK: nothing raised
    lags(monitor.gate, clock, 40, 5)
    monitor.refresh()  # the sampling task does this every tick
    assert monitor.partial_interval_ms(1000) == 3000
    monitor.admit(1)  # shedding still admits
    lags(monitor.gate, clock, 100, 5)
    monitor.refresh()
    assert monitor.partial_interval_ms(1000) is None
    with pytest.raises(EngineAtCapacity, match="at capacity") as refused:
        monitor.admit(1)
    error = refused.value
    assert error.status_code == 503
    assert error.headers == {"Retry-After": str(LIMITS.retry_after_s)}
    assert monitor.refused == 1
    monitor.admit(0)  # nobody talking: nobody to protect, whatever the load
    # Admission by load can be switched off; partials still give way.
    off = LoadMonitor(LIMITS.model_copy(update={"admission": False}), stats, clock=clock)
    lags(off.gate, clock, 100, 5)
    off.refresh()
    off.admit(1)
    assert off.partial_interval_ms(1000) is None


def test_a_burst_of_joins_is_spread_over_the_window_before_the_signal_can_show_it() -> None:
    clock = Clock()
    monitor = LoadMonitor(LIMITS.model_copy(update={"join_burst": 3}), stats, clock=clock)
    for _ in range(3):  # nobody talks yet, the signal is quiet: the first three are let in at once
        monitor.admit(0)
        clock.t += 1.0
    with pytest.raises(EngineAtCapacity, match="starting") as refused:
        monitor.admit(0)
    # The oldest of the three leaves the window 5 s after it came (2 s from now).
    assert refused.value.headers == {"Retry-After": "2"}
    assert refused.value.details == {"reason": "join_burst", "retry_after_s": 2}
    assert monitor.refused == 1
    clock.t += 1.5
    with pytest.raises(EngineAtCapacity):
        monitor.admit(0)  # still three within the window (Retry-After rounds up)
    clock.t += 0.6
    monitor.admit(0)  # the first left the window: one more fits
    with pytest.raises(EngineAtCapacity):
        monitor.admit(1)
    assert monitor.refused == 3
    clock.t += LIMITS.window_s
    for _ in range(3):
        monitor.admit(2)
    # Refused joins do not count as admitted, and 0 or admission off lift the limit.
    unlimited = LoadMonitor(LIMITS.model_copy(update={"join_burst": 0}), stats, clock=clock)
    off = LoadMonitor(LIMITS.model_copy(update={"join_burst": 1, "admission": False}), stats, clock=clock)
    for _ in range(20):
        unlimited.admit(0)
        off.admit(0)
    assert unlimited.refused == off.refused == 0


def test_a_full_engine_refuses_without_counting_the_refused_join_as_admitted() -> None:
    clock = Clock()
    monitor = LoadMonitor(LIMITS.model_copy(update={"join_burst": 2}), stats, clock=clock)
    monitor.admit(1)
    lags(monitor.gate, clock, 100, 5)
    monitor.refresh()
    for _ in range(3):
        with pytest.raises(EngineAtCapacity, match="at capacity"):
            monitor.admit(1)
    # Nobody talking: the burst rule alone. The first admission has left the window, and the refused
    # ones never entered it: two more fit.
    monitor.admit(0)
    monitor.admit(0)
    with pytest.raises(EngineAtCapacity, match="starting"):
        monitor.admit(0)
    assert monitor.refused == 4
