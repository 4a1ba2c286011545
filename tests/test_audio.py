"""helpers.audio: frames and log spectrograms against torch.stft and a numpy computation."""

import math

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from helpers import frame_signal, log_spectrogram, spectrogram_frequencies


def chirp(seconds, sample_rate, seed=0):
    t = torch.arange(int(seconds * sample_rate), dtype=torch.float64) / sample_rate
    noise = 0.05 * torch.randn(t.shape, generator=torch.Generator().manual_seed(seed))
    return torch.sin(2 * math.pi * (200 * t + 400 * t**2)) + noise.double()


# --------------------------------------------------------------------------- frame_signal


@pytest.mark.parametrize(("seconds", "expected_frames"), [(1.0, 98), (0.5, 48), (2.0, 198)])
def test_frame_signal_counts_about_100_frames_per_second(seconds, expected_frames):
    frames = frame_signal(chirp(seconds, 16_000), 16_000)
    assert frames.shape == (expected_frames, 400)


def test_frame_signal_matches_slicing():
    signal = torch.arange(1000, dtype=torch.float32)
    frames = frame_signal(signal, 8000, window_ms=5, hop_ms=2)  # 40-sample window, 16-sample hop
    expected = torch.stack([signal[t * 16 : t * 16 + 40] for t in range(1 + (1000 - 40) // 16)])
    assert_close(frames, expected)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: frame_signal(torch.zeros(2, 100), 8000), ["1-D", "(2, 100)"]),
        (lambda: frame_signal(torch.zeros(100), 0), ["positive", "0"]),
        (lambda: frame_signal(torch.zeros(100), 8000), ["100 samples", "200 samples"]),
    ],
)
def test_frame_signal_bad_input(call, words):
    with pytest.raises(ValueError) as error:
        call()
    assert all(w in str(error.value) for w in words)


# --------------------------------------------------------------------------- log_spectrogram


@pytest.mark.parametrize(
    ("sample_rate", "window_ms", "hop_ms"), [(16_000, 25, 10), (8000, 25, 10), (8000, 32, 12)]
)
def test_log_spectrogram_matches_torch_stft(sample_rate, window_ms, hop_ms):
    signal = chirp(1.3, sample_rate).float()
    window = round(sample_rate * window_ms / 1000)
    hop = round(sample_rate * hop_ms / 1000)
    stft = torch.stft(
        signal,
        n_fft=window,
        hop_length=hop,
        window=torch.hann_window(window),
        center=False,
        return_complex=True,
    )  # (freqs, frames)
    expected = torch.log(stft.abs().T ** 2 + 1e-10)
    features = log_spectrogram(signal, sample_rate, window_ms, hop_ms)
    assert features.shape == (1 + (len(signal) - window) // hop, window // 2 + 1)
    assert features.dtype == torch.float32
    assert_close(features, expected, rtol=1e-4, atol=1e-3)


def test_log_spectrogram_matches_numpy_in_float64():
    sample_rate, window, hop = 8000, 200, 80
    signal = chirp(0.7, sample_rate)
    n = np.arange(window)
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * n / window)  # periodic Hann window
    x = signal.numpy()
    frames = np.stack([x[t * hop : t * hop + window] for t in range(1 + (len(x) - window) // hop)])
    expected = np.log(np.abs(np.fft.rfft(frames * hann, axis=1)) ** 2 + 1e-6)
    features = log_spectrogram(signal, sample_rate, eps=1e-6)
    assert features.dtype == torch.float64
    assert_close(features, torch.from_numpy(expected))


def test_a_tone_peaks_at_its_frequency_bin():
    sample_rate = 8000
    t = torch.arange(sample_rate) / sample_rate
    tone = torch.sin(2 * math.pi * 1000 * t)  # 1000 Hz = bin 25 of a 200-sample (25 ms) window
    features = log_spectrogram(tone, sample_rate)
    frequencies = spectrogram_frequencies(sample_rate)
    assert frequencies.shape == (features.shape[1],)
    assert float(frequencies[1]) == pytest.approx(40.0)  # 1 / 25 ms
    assert float(frequencies[-1]) == pytest.approx(4000.0)  # Nyquist
    peaks = frequencies[features.argmax(dim=1)]
    assert torch.all(peaks == 1000.0)


def test_log_spectrogram_of_silence_is_log_eps():
    features = log_spectrogram(torch.zeros(800), 8000, eps=1e-4)
    assert_close(features, torch.full_like(features, math.log(1e-4)))


def test_log_spectrogram_accepts_numpy():
    signal = chirp(0.3, 8000)
    assert_close(log_spectrogram(signal.numpy(), 8000), log_spectrogram(signal, 8000))


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: log_spectrogram(torch.zeros(800, dtype=torch.int16), 8000), ["int16", "float"]),
        (lambda: log_spectrogram(torch.zeros(2, 800), 8000), ["1-D", "(2, 800)"]),
        (lambda: log_spectrogram(torch.zeros(100), 8000), ["100 samples", "200 samples"]),
        (lambda: log_spectrogram(torch.zeros(800), 8000, eps=0.0), ["eps", "0.0"]),
        (lambda: spectrogram_frequencies(0), ["sample_rate", "0"]),
        (lambda: spectrogram_frequencies(8000, window_ms=-1), ["window_ms", "-1"]),
        (lambda: spectrogram_frequencies(100, window_ms=1), ["1 ms", "100 Hz"]),
    ],
)
def test_log_spectrogram_bad_input(call, words):
    with pytest.raises(ValueError) as error:
        call()
    message = str(error.value)
    assert all(w in message for w in words), message
