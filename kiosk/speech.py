"""Reading aloud, offline: espeak-ng speaks each line to a WAV file, cached.

The kiosk reads a screen and the whole ticket aloud on request (EN 301 549,
5.1.3.16). espeak-ng ships voices for Latvian, English, Russian and Ukrainian and
needs no network; a line already spoken in a voice is never synthesised again.
Playing the file is the app's job (it holds the audio device).
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import subprocess
from pathlib import Path

#: The espeak-ng voice for each shipped language.
VOICES = {"lv": "lv", "en": "en-gb", "ru": "ru", "uk": "uk"}


class SpeechError(Exception):
    """espeak-ng is missing or could not speak a line."""


class Speaker:
    def __init__(self, cache: Path, program: str = "espeak-ng", words_per_minute: int = 150):
        self.cache = cache
        self.program = program
        self.words_per_minute = words_per_minute

    def available(self) -> bool:
        return shutil.which(self.program) is not None

    def wav(self, text: str, lang: str) -> Path:
        """The WAV file of ``text`` in ``lang``'s voice, made once."""
        voice = VOICES.get(lang, VOICES["lv"])
        digest = hashlib.sha256(f"{voice}|{self.words_per_minute}|{text}".encode()).hexdigest()
        path = self.cache / f"{digest[:32]}.wav"
        if path.exists() and path.stat().st_size > 44:
            return path
        self.cache.mkdir(parents=True, exist_ok=True)
        # Two screens read in quick succession may make the same line at once: each
        # writes its own partial file, and the last rename wins.
        partial = path.with_suffix(f".{secrets.token_hex(4)}.part")
        try:
            subprocess.run(
                [
                    self.program,
                    "-v",
                    voice,
                    "-s",
                    str(self.words_per_minute),
                    "-w",
                    str(partial),
                    "--",
                    text,
                ],
                check=True,
                capture_output=True,
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError) as error:
            partial.unlink(missing_ok=True)
            raise SpeechError(f"espeak-ng could not speak in {voice}: {error}") from error
        partial.replace(path)
        return path

    def lines(self, lines: list[str], lang: str) -> list[Path]:
        return [self.wav(line, lang) for line in lines if line.strip()]
