"""The second-look benchmark's report: one row per voice and kind of pause, shares as percentages."""

from __future__ import annotations

from bench.turn_reprobe import SECTION, markdown


def test_each_voice_and_kind_of_pause_is_a_row() -> None:
    report = {
        "machine": "2 cores",
        "delays_s": (0.1, 0.3, 0.5, 0.7),
        "threshold": 0.9,
        "voices": {
            "Real people (recordings)": {
                "end": {
                    "pauses": 63,
                    "median": [0.971, 0.977, 0.982, 0.982],
                    "finished": [0.68, 0.75, 0.81, 0.78],
                },
                "hesitation": {
                    "pauses": 9,
                    "median": [0.588, 0.208, 0.214, 0.805],
                    "finished": [0.44, 0.33, 0.33, 0.33],
                },
            }
        },
    }
    text = markdown(report)
    assert text.startswith(SECTION)
    rows = [line for line in text.splitlines() if line.startswith("| Real people")]
    assert rows == [
        "| Real people (recordings) | the answer's end | 63 | 0.971 / 0.977 / 0.982 / 0.982 | 68% / 75% / 81% / 78% |",
        "| Real people (recordings) | mid-sentence, 0.5-1.2 s | 9 | 0.588 / 0.208 / 0.214 / 0.805 | 44% / 33% / 33% / 33% |",
    ]
