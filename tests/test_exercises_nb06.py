"""Exercises of notebook 06: ``image_to_tokens`` and ``tokens_to_image``; the checks every
exercise must pass are in ``test_exercises.py``."""

import exercise_cases
import torch

from helpers.exercises import get_exercise

# --------------------------------------------------------------------------- right answers,
# written the way a learner would


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


test_right_answers_pass = exercise_cases.right_answers_pass(
    [
        ("image_to_tokens", pixels_to_tokens_permute),
        ("image_to_tokens", pixels_to_tokens_loop),
        ("tokens_to_image", tokens_to_pixels_permute),
        ("tokens_to_image", tokens_to_pixels_loop),
    ]
)


def test_each_exercise_has_at_least_three_classic_mistakes():
    for exercise_id in ("image_to_tokens", "tokens_to_image"):
        assert len(get_exercise(exercise_id).mistakes) >= 3


# --------------------------------------------------------------------------- classic mistakes,
# written the way a learner would, each with the word its diagnosis must contain


def in_place(image):
    image.mul_(1.0).add_(1.0)
    return pixels_to_tokens_permute(image - 1.0)


test_mistakes_are_diagnosed = exercise_cases.mistakes_are_diagnosed(
    [
        ("image_to_tokens", lambda im: im.reshape(-1, im.shape[0]), "memory order"),
        ("image_to_tokens", lambda im: im.view(im.shape[0], -1), "one row per channel"),
        ("image_to_tokens", lambda im: im.transpose(0, 2).flatten(0, 1), "column by column"),
        ("image_to_tokens", lambda im: im.permute(1, 2, 0), "wrong shape"),
        ("image_to_tokens", lambda im: pixels_to_tokens_permute(im).double(), "dtype"),
        ("image_to_tokens", in_place, "in place"),
        ("tokens_to_image", lambda tk, h, w: tk.reshape(-1, h, w), "scrambled"),
        ("tokens_to_image", lambda tk, h, w: tk.reshape(h, w, -1).transpose(0, 2), "swapped"),
        ("tokens_to_image", lambda tk, h, w: tk.view(h, w, -1), "channels first"),
        ("tokens_to_image", lambda tk, h, w: tk.T.reshape(-1, w, h).transpose(1, 2), "column"),
        ("tokens_to_image", lambda tk, h, w: tk.T.reshape(-1, h, w) + 1, "wrong values"),
    ]
)
