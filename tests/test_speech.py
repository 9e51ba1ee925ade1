"""The kiosk speaks offline with espeak-ng, in every shipped language, from a cache."""

from __future__ import annotations

import wave

import pytest

from kiosk.speech import VOICES, Speaker, SpeechError


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("lv", "Jūsu numurs ir P, nulle, nulle, viens. Lūdzu, dodieties pie lodziņa trīs."),
        ("en", "Your number is P, zero, zero, one. Please go to counter three."),
        ("ru", "Ваш номер П, ноль, ноль, один. Пройдите к окну три."),
        ("uk", "Ваш номер П, нуль, нуль, один. Пройдіть до віконця три."),
    ],
)
def test_every_language_speaks_to_a_real_wav(tmp_path, lang, text):
    path = Speaker(tmp_path).wav(text, lang)
    with wave.open(str(path)) as audio:
        seconds = audio.getnframes() / audio.getframerate()
    assert seconds > 1.5, f"{lang}: {seconds:.2f} s of speech"
    assert set(VOICES) == {"lv", "en", "ru", "uk"}


def test_a_line_is_synthesised_once(tmp_path):
    speaker = Speaker(tmp_path)
    first = speaker.wav("Paldies!", "lv")
    made = first.stat().st_mtime_ns
    again = speaker.wav("Paldies!", "lv")
    assert again == first and again.stat().st_mtime_ns == made
    assert speaker.wav("Paldies!", "en") != first, "another voice is another file"


def test_a_missing_program_is_a_clear_error(tmp_path):
    speaker = Speaker(tmp_path, program="no-such-espeak")
    assert not speaker.available()
    with pytest.raises(SpeechError, match="could not speak"):
        speaker.wav("Labdien", "lv")
    assert not list(tmp_path.glob("*.part"))
