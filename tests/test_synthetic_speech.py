"""helpers.applications.synthetic_speech: the sounds of lesson 05 are what their labels say."""

import pytest
import torch

from helpers import (
    SOUND_KINDS,
    frame_signal,
    log_spectrogram,
    sound_dataset,
    synth_recording,
    synth_segment,
)

RATE = 8_000


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def peak_hz(wave):
    spectrum = torch.fft.rfft(wave * torch.hann_window(len(wave))).abs()
    return float(torch.fft.rfftfreq(len(wave), 1 / RATE)[spectrum.argmax()])


@pytest.mark.parametrize("kind", SOUND_KINDS)
def test_segments_have_the_requested_length_and_are_reproducible(kind):
    first = synth_segment(kind, 2000, generator())
    assert first.shape == (2000,)
    assert torch.equal(first, synth_segment(kind, 2000, generator()))


def test_silence_is_zero_and_noise_is_loud():
    assert synth_segment("silence", 800, generator()).abs().max() == 0
    assert synth_segment("noise", 8000, generator()).std() > 0.15


def test_a_tone_has_one_frequency_and_a_chirp_moves():
    tone = synth_segment("tone", 4000, generator(1))
    assert abs(peak_hz(tone[:400]) - peak_hz(tone[-400:])) <= 40  # one frequency bin
    chirp = synth_segment("chirp", 4000, generator(1))
    assert abs(peak_hz(chirp[:400]) - peak_hz(chirp[-400:])) > 1000  # slides by 1.5-1.8 kHz


def test_beeps_are_on_30_ms_of_every_100_ms():
    beeps = synth_segment("beeps", 8000, generator(2))  # 1 s
    on = beeps.reshape(10, 800)  # 10 periods of 100 ms
    assert on[:, 250:790].abs().max() == 0  # off from 30 ms on (a sample of slack at the ends)
    assert (on[:, 10:230].abs().amax(dim=1) > 0.1).all()


@pytest.mark.parametrize("seconds", [0.5, 2.0, 6.0])
def test_a_recording_has_one_label_per_frame(seconds):
    waveform, labels = synth_recording(seconds, generator())
    assert waveform.shape == (int(seconds * RATE),)
    assert labels.shape == (frame_signal(waveform, RATE).shape[0],)
    assert labels.dtype == torch.long and labels.min() >= 0 and labels.max() < len(SOUND_KINDS)


def test_silent_frames_are_quiet_and_noise_frames_loud():
    waveform, labels = synth_recording(20.0, generator(3))
    energy = frame_signal(waveform, RATE).pow(2).mean(dim=1)  # (n_frames,)
    silence, noise = SOUND_KINDS.index("silence"), SOUND_KINDS.index("noise")
    same = torch.stack([labels.roll(shift) == labels for shift in (-2, -1, 1, 2)])
    inner = same.all(dim=0)  # frames two frames away from a segment boundary
    assert energy[(labels == silence) & inner].max() < 1e-3  # only the hiss (0.01 ** 2)
    assert energy[(labels == noise) & inner].min() > 0.02


def test_the_dataset_is_log_spectrograms_and_labels():
    inputs, labels = sound_dataset(3, 1.0, seed=5)
    assert inputs.shape == (3, 98, 101) and labels.shape == (3, 98)
    waveform, first_labels = synth_recording(1.0, generator(5))
    torch.testing.assert_close(inputs[0], log_spectrogram(waveform, RATE))
    assert torch.equal(labels[0], first_labels)
    assert torch.equal(sound_dataset(3, 1.0, seed=5)[0], inputs)  # reproducible


BAD_INPUT_CASES = [
    (lambda: synth_segment("whistle", 100, generator()), "kind must be one of"),
    (lambda: synth_segment("tone", 0, generator()), "n_samples must be >= 1"),
    (lambda: synth_recording(-1.0, generator()), "seconds must be a positive number"),
    (lambda: synth_recording(0.01, generator()), "shorter than one window"),
    (lambda: sound_dataset(0, 1.0, seed=0), "n_recordings must be >= 1"),
    (lambda: sound_dataset(2, 1.0, seed=-1), "seed must be >= 0"),
]


@pytest.mark.parametrize(("call", "words"), BAD_INPUT_CASES)
def test_bad_input_raises_value_error(call, words):
    with pytest.raises(ValueError, match=words):
        call()
