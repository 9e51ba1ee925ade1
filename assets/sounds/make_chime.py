"""Make ``chime.wav``, the hall display's call chime, from nothing but arithmetic.

    python assets/sounds/make_chime.py          # writes assets/sounds/chime.wav

Two bell-like tones, a major third apart and falling (E5 659.3 Hz, then C5 523.3 Hz,
the "ding-dong" people know from stations), each a sum of a few partials with an
exponential decay and a 5 ms attack, so nothing clicks. 22,050 Hz, 16-bit mono,
1.6 s, peak at -3 dBFS: loud enough over a hall's murmur without clipping, and the
display's volume setting scales it like the speech. The file is deterministic: the
same script always makes the same bytes, so the shipped WAV can be checked against it.
"""

from __future__ import annotations

import math
import sys
import wave
from array import array
from pathlib import Path

RATE = 22_050
SECONDS = 1.6
PEAK = 10 ** (-3 / 20)
#: (start s, fundamental Hz) of each strike.
STRIKES = ((0.0, 659.26), (0.55, 523.25))
#: (multiple of the fundamental, relative level, decay time constant s): a soft bell.
PARTIALS = ((1.0, 1.0, 0.55), (2.0, 0.35, 0.30), (3.0, 0.12, 0.18), (4.2, 0.05, 0.10))
ATTACK = 0.005


def sample(t: float) -> float:
    value = 0.0
    for start, base in STRIKES:
        age = t - start
        if age < 0:
            continue
        attack = min(1.0, age / ATTACK)
        for multiple, level, decay in PARTIALS:
            envelope = attack * level * math.exp(-age / decay)
            value += envelope * math.sin(2 * math.pi * base * multiple * age)
    return value


def render() -> array:
    raw = [sample(i / RATE) for i in range(int(RATE * SECONDS))]
    # Fade the last 50 ms to silence so the file ends without a click.
    fade = int(RATE * 0.05)
    for i in range(fade):
        raw[-fade + i] *= 1 - i / fade
    scale = PEAK * 32767 / max(abs(v) for v in raw)
    return array("h", (round(v * scale) for v in raw))


def main(out: Path) -> None:
    frames = render()
    if sys.byteorder != "little":
        frames.byteswap()
    with wave.open(str(out), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(frames.tobytes())


if __name__ == "__main__":
    main(Path(__file__).with_name("chime.wav"))
