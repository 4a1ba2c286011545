"""Audio as a sequence of vectors: cut a waveform into overlapping frames.

The lecture's numbers: a 25 ms window moved by 10 ms gives one vector every 10 ms, i.e. about
100 vectors per second of speech. With ``n`` samples, a window of ``w`` samples and a hop of
``h`` samples there are ``1 + (n - w) // h`` whole frames. :func:`log_spectrogram` turns each
frame into the classic speech feature vector: its log power spectrum.
"""

from __future__ import annotations

import torch

from ..core.validation import (
    check_floating,
    check_frames,
    check_frequency_window,
    check_positive_number,
)


def frame_signal(
    signal: torch.Tensor, sample_rate: int, window_ms: float = 25.0, hop_ms: float = 10.0
) -> torch.Tensor:
    """Cut a mono waveform ``(n_samples,)`` into frames ``(n_frames, window_samples)``.

    Frame ``t`` holds samples ``[t * hop, t * hop + window)``; a trailing piece shorter than a
    window is dropped, so ``n_frames = 1 + (n_samples - window) // hop``.
    """
    signal = torch.as_tensor(signal)
    window, hop = check_frames(signal, sample_rate, window_ms, hop_ms)  # in samples
    return signal.unfold(0, window, hop)  # (n_frames, window)


def spectrogram_frequencies(sample_rate: int, window_ms: float = 25.0) -> torch.Tensor:
    """The frequency in Hz of each column of :func:`log_spectrogram`, shape ``(window // 2 + 1,)``.

    Column ``f`` is ``f * sample_rate / window`` Hz (``window`` in samples), from 0 Hz up to the
    Nyquist frequency ``sample_rate / 2``: a 25 ms window has a resolution of 40 Hz.
    """
    window = check_frequency_window(sample_rate, window_ms)  # in samples
    return torch.fft.rfftfreq(window, d=1.0 / sample_rate)


def log_spectrogram(
    signal: torch.Tensor,
    sample_rate: int,
    window_ms: float = 25.0,
    hop_ms: float = 10.0,
    eps: float = 1e-10,
) -> torch.Tensor:
    """Log power spectrum of every frame: the classic speech feature, ``(n_frames, n_freqs)``.

        frame_t = signal[t * hop : t * hop + window] * hann      (taper the frame's edges)
        S[t, f] = log(|rfft(frame_t)[f]|^2 + eps)                f = 0 .. window // 2

    One row per 25 ms frame (every 10 ms: ~100 rows per second), one column per frequency
    (:func:`spectrogram_frequencies` gives them in Hz). The Hann window avoids the spectral
    leakage of cutting a sine mid-period; the log compresses the huge range of audio power, so
    that quiet and loud sounds both stay visible; ``eps`` keeps the log of silence finite.

    Args:
        signal: mono waveform ``(n_samples,)``, floating point (tensor or numpy array).
        sample_rate: samples per second, e.g. 16000.
        window_ms, hop_ms: frame length and step, as in :func:`frame_signal`.
        eps: added to the power before the log (> 0).

    Returns:
        ``(n_frames, window // 2 + 1)`` in the dtype of ``signal``.
    """
    signal = torch.as_tensor(signal)
    check_floating(signal, "signal")
    check_positive_number(eps, "eps")
    frames = frame_signal(signal, sample_rate, window_ms, hop_ms)  # (n_frames, window)
    taper = torch.hann_window(frames.shape[-1], dtype=frames.dtype, device=frames.device)
    spectrum = torch.fft.rfft(frames * taper, dim=-1)  # (n_frames, window // 2 + 1) complex
    power = spectrum.real**2 + spectrum.imag**2
    return torch.log(power + eps)
