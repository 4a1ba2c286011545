"""Exercise checkers of notebook 06: ``image_to_tokens`` and ``tokens_to_image``. Right answers
pass, learner-style mistakes get their diagnosis, a stub fails as "not implemented"."""

import pytest
import torch

from helpers.exercises import check, get_exercise


def run(exercise_id, fn):
    return check(exercise_id, fn, quiet=True)


def pixels_to_tokens_permute(image):
    channels, height, width = image.shape
    return image.permute(1, 2, 0).reshape(height * width, channels)


def pixels_to_tokens_loop(image):
    channels, height, width = image.shape
    return torch.stack([image[:, y, x] for y in range(height) for x in range(width)])


def tokens_to_pixels_permute(tokens, height, width):
    return tokens.reshape(height, width, -1).permute(2, 0, 1)


def tokens_to_pixels_loop(tokens, height, width):
    image = torch.zeros(tokens.shape[1], height, width)
    for y in range(height):
        for x in range(width):
            image[:, y, x] = tokens[y * width + x]
    return image


@pytest.mark.parametrize("fn", [pixels_to_tokens_permute, pixels_to_tokens_loop])
def test_right_image_to_tokens_passes(fn):
    result = run("image_to_tokens", fn)
    assert result.passed, result.message


@pytest.mark.parametrize("fn", [tokens_to_pixels_permute, tokens_to_pixels_loop])
def test_right_tokens_to_image_passes(fn):
    result = run("tokens_to_image", fn)
    assert result.passed, result.message


def test_notebook_06_exercises_are_registered():
    # Every registered mistake is fed to its checker in test_exercises.py.
    for exercise_id in ("image_to_tokens", "tokens_to_image"):
        assert get_exercise(exercise_id).notebook == "06"
        assert len(get_exercise(exercise_id).mistakes) >= 3


@pytest.mark.parametrize(
    ("exercise_id", "fn", "keyword"),
    [
        ("image_to_tokens", lambda im: im.reshape(-1, im.shape[0]), "memory order"),
        ("image_to_tokens", lambda im: im.view(im.shape[0], -1), "one row per channel"),
        ("image_to_tokens", lambda im: im.transpose(0, 2).flatten(0, 1), "column by column"),
        ("image_to_tokens", lambda im: im.permute(1, 2, 0), "wrong shape"),
        ("image_to_tokens", lambda im: pixels_to_tokens_permute(im).double(), "dtype"),
        ("tokens_to_image", lambda tk, h, w: tk.reshape(-1, h, w), "scrambled"),
        ("tokens_to_image", lambda tk, h, w: tk.reshape(h, w, -1).transpose(0, 2), "swapped"),
        ("tokens_to_image", lambda tk, h, w: tk.view(h, w, -1), "channels first"),
        ("tokens_to_image", lambda tk, h, w: tk.T.reshape(-1, w, h).transpose(1, 2), "column"),
        ("tokens_to_image", lambda tk, h, w: tk.T.reshape(-1, h, w) + 1, "wrong values"),
    ],
)
def test_learner_mistakes_are_diagnosed(exercise_id, fn, keyword):
    result = run(exercise_id, fn)
    assert not result.passed
    assert keyword in result.message, result.message


def test_not_implemented_stub_fails():
    assert "not implemented yet" in run("image_to_tokens", lambda image: NotImplemented).message
    assert "not implemented yet" in run("tokens_to_image", lambda t, h, w: NotImplemented).message


def test_modifying_the_image_in_place_fails():
    def in_place(image):
        image.mul_(1.0).add_(1.0)
        return pixels_to_tokens_permute(image - 1.0)

    assert "in place" in run("image_to_tokens", in_place).message
