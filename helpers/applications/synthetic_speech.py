"""Synthetic "speech" whose content is known exactly: a frame-labelling (N→N) task.

Real recordings would need a download, so lesson 05 synthesises audio: a recording is a chain of
segments of 0.3–0.7 s, each one of five kinds of sound (:data:`SOUND_KINDS`), over a faint
background hiss, and every 25 ms frame (one every 10 ms) gets the label of the segment its centre
lies in:

===========  =============================================  =================================
kind         what it is                                     what a single 25 ms frame shows
===========  =============================================  =================================
silence      only the background hiss                       nothing
tone         a steady whistle at one frequency              one sharp peak
chirp        a whistle sliding up or down by 1.5–1.8 kHz    one peak: where it goes needs
                                                            the neighbours
beeps        a tone on for 30 ms every 100 ms               a peak, or nothing between beeps
noise        a burst of hiss                                energy at every frequency
===========  =============================================  =================================

Two kinds cannot be told from one frame: a frame between two beeps looks like silence, a chirp
frame like a tone. That is the situation in which a frame needs its context. Everything is drawn
from the ``torch.Generator`` passed in, so a seed gives the same recordings on every machine.
"""

from __future__ import annotations

import math

import torch

from ..core.validation import check_choice, check_frames, check_int, check_positive_number
from .audio import log_spectrogram

SOUND_KINDS = ("silence", "tone", "chirp", "beeps", "noise")  # label c is SOUND_KINDS[c]
SAMPLE_RATE = 8_000  # Hz: telephone quality; a 25 ms frame is 200 samples, 101 frequencies


def _uniform(low: float, high: float, generator: torch.Generator) -> float:
    """One number drawn uniformly from ``[low, high)``."""
    return low + (high - low) * torch.rand((), generator=generator).item()


def synth_segment(
    kind: str, n_samples: int, generator: torch.Generator, sample_rate: int = SAMPLE_RATE
) -> torch.Tensor:
    """The waveform ``(n_samples,)`` of one segment of ``kind`` (one of :data:`SOUND_KINDS`).

    * silence: zeros (the recording adds the background hiss);
    * noise: Gaussian noise of standard deviation 0.2–0.5;
    * tone: ``a sin(2π f t + φ)``, ``a`` in 0.3–1, ``f`` in 300–3000 Hz;
    * chirp: a sine whose frequency moves linearly, up or down, between ``f`` (300–1200 Hz) and
      ``f`` + 1500–1800 Hz over the segment;
    * beeps: a tone multiplied by a gate that is on for 30 ms of every 100 ms.
    """
    check_choice(kind, "kind", SOUND_KINDS)
    check_int(n_samples, "n_samples", minimum=1)
    check_int(sample_rate, "sample_rate", minimum=1)
    t = torch.arange(n_samples) / sample_rate  # time in seconds
    if kind == "silence":
        return torch.zeros(n_samples)
    if kind == "noise":
        return _uniform(0.2, 0.5, generator) * torch.randn(n_samples, generator=generator)
    amplitude = _uniform(0.3, 1.0, generator)
    if kind == "chirp":  # the frequency moves linearly from f_start to f_end
        low = _uniform(300, 1200, generator)
        high = low + _uniform(1500, 1800, generator)
        upwards = torch.rand((), generator=generator) < 0.5
        f_start, f_end = (low, high) if upwards else (high, low)
        duration = n_samples / sample_rate
        phase = 2 * math.pi * (f_start * t + (f_end - f_start) * t**2 / (2 * duration))
    else:  # "tone" and "beeps": one constant frequency
        phase = 2 * math.pi * _uniform(300, 3000, generator) * t
    wave = amplitude * torch.sin(phase + _uniform(0, 2 * math.pi, generator))
    if kind == "beeps":
        wave = wave * ((t % 0.1) < 0.03)  # on for 30 ms, off for 70 ms
    return wave


def synth_recording(
    seconds: float,
    generator: torch.Generator,
    sample_rate: int = SAMPLE_RATE,
    window_ms: float = 25.0,
    hop_ms: float = 10.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A random chain of segments: the waveform ``(n_samples,)`` and the frame labels
    ``(n_frames,)``, ``n_frames = 1 + (n_samples - window) // hop`` as in :func:`frame_signal`.

    Segments last 0.3–0.7 s and have a kind drawn uniformly from :data:`SOUND_KINDS`; the label
    of a frame is the index of the kind of the segment under its centre sample.
    """
    check_positive_number(seconds, "seconds")
    n_samples = int(seconds * sample_rate)
    window, hop = check_frames(torch.zeros(n_samples), sample_rate, window_ms, hop_ms)
    pieces, labels = [], []
    while sum(len(piece) for piece in pieces) < n_samples:
        kind = int(torch.randint(len(SOUND_KINDS), (), generator=generator))
        length = int(sample_rate * _uniform(0.3, 0.7, generator))
        pieces.append(synth_segment(SOUND_KINDS[kind], length, generator, sample_rate))
        labels.append(torch.full((length,), kind))
    hiss = 0.01 * torch.randn(n_samples, generator=generator)  # the background, everywhere
    waveform = torch.cat(pieces)[:n_samples] + hiss
    n_frames = 1 + (n_samples - window) // hop
    centres = torch.arange(n_frames) * hop + window // 2  # a frame's label: that of its centre
    return waveform, torch.cat(labels)[:n_samples][centres]


def sound_dataset(
    n_recordings: int, seconds: float, seed: int, sample_rate: int = SAMPLE_RATE
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n_recordings`` random recordings as log spectrograms ``(n, n_frames, n_freqs)`` and
    their frame labels ``(n, n_frames)`` (25 ms frames every 10 ms, :func:`log_spectrogram`).

    The same ``seed`` gives the same data set; use different seeds for training and test sets.
    """
    check_int(n_recordings, "n_recordings", minimum=1)
    check_int(seed, "seed", minimum=0)
    generator = torch.Generator().manual_seed(seed)
    recordings = [synth_recording(seconds, generator, sample_rate) for _ in range(n_recordings)]
    inputs = torch.stack([log_spectrogram(wave, sample_rate) for wave, _ in recordings])
    return inputs, torch.stack([labels for _, labels in recordings])
