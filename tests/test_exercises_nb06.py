"""Exercise of notebook 06: ``patch_tokens``, a batch of images cut into patch tokens; the checks
every exercise must pass are in ``test_exercises.py``."""

import exercise_cases
import torch
import torch.nn.functional as F

from helpers.exercises import get_exercise

EXERCISE = "patch_tokens"

# --------------------------------------------------------------------------- right answers,
# written the way a learner would (not by calling the reference)


def patch_tokens(images, patch_size):
    batch, channels, height, width = images.shape
    p = patch_size
    grid = images.reshape(batch, channels, height // p, p, width // p, p)
    grid = grid.permute(0, 2, 4, 1, 3, 5)  # (B, H/p, W/p, C, p, p)
    return grid.reshape(batch, (height // p) * (width // p), channels * p * p)


def patch_tokens_unfold(images, patch_size):
    """F.unfold gives (B, C*p*p, n_patches): one column per patch, channel-major."""
    return F.unfold(images, kernel_size=patch_size, stride=patch_size).transpose(1, 2)


def patch_tokens_tensor_unfold(images, patch_size):
    p = patch_size
    grid = images.unfold(2, p, p).unfold(3, p, p)  # (B, C, H/p, W/p, p, p)
    return grid.permute(0, 2, 3, 1, 4, 5).flatten(3).flatten(1, 2)


def patch_tokens_loops(images, patch_size):
    batch, channels, height, width = images.shape
    p = patch_size
    tokens = [
        images[:, :, r * p : (r + 1) * p, c * p : (c + 1) * p].reshape(batch, -1)
        for r in range(height // p)
        for c in range(width // p)
    ]
    return torch.stack(tokens, dim=1)  # (B, n_patches, C*p*p)


def patch_tokens_float64_inside(images, patch_size):
    """Float64 inside, the input's dtype outside."""
    return patch_tokens(images.double(), patch_size).to(images.dtype)


test_right_answers_pass = exercise_cases.right_answers_pass(
    (EXERCISE, fn)
    for fn in (
        patch_tokens,
        patch_tokens_unfold,
        patch_tokens_tensor_unfold,
        patch_tokens_loops,
        patch_tokens_float64_inside,
        lambda images, patch_size: patch_tokens(images.double(), patch_size),  # float64 is fine
    )
)
test_case_counts = exercise_cases.case_counts_are({EXERCISE: 4})


def test_the_exercise_has_hints_and_classic_mistakes():
    info = get_exercise(EXERCISE)
    assert len(info.hints) >= 2
    assert len(info.mistakes) >= 5


# --------------------------------------------------------------------------- classic mistakes,
# written the way a learner would, each with the word its diagnosis must contain


def no_permute(images, patch_size):
    b, c, h, w = images.shape
    return images.reshape(b, (h // patch_size) * (w // patch_size), -1)


def pixel_major_patches(images, patch_size):
    b, c, h, w = images.shape
    p = patch_size
    x = images.permute(0, 2, 3, 1)  # channels last first, as in section 1
    x = x.reshape(b, h // p, p, w // p, p, c).permute(0, 1, 3, 2, 4, 5)  # (B, H/p, W/p, p, p, C)
    return x.reshape(b, -1, p * p * c)


def in_place(images, patch_size):
    images.mul_(2.0)
    return patch_tokens(images / 2.0, patch_size)


test_mistakes_are_diagnosed = exercise_cases.mistakes_are_diagnosed(
    (EXERCISE, fn, keyword)
    for fn, keyword in [
        (no_permute, "memory order"),
        (lambda im, p: F.unfold(im, p, stride=p), "transpose"),
        (pixel_major_patches, "channel by channel"),
        (lambda im, p: patch_tokens(im.transpose(2, 3), p).contiguous(), "wrong places"),
        (in_place, "in place"),
    ]
)


# --------------------------------------------------------------------------- wrong answers a
# learner writes, not copies of the registered mistakes (fed to course_tools.exercise_audit)


@exercise_cases.wrong_answer(EXERCISE, "wrong places")
def tensor_unfold_no_permute(images, patch_size):
    p = patch_size
    b, c, h, w = images.shape
    grid = images.unfold(2, p, p).unfold(3, p, p)  # (B, C, H/p, W/p, p, p)
    return grid.reshape(b, -1, c * p * p)  # C is still in front of the patch grid


@exercise_cases.wrong_answer(EXERCISE, "instead of .view")
def view_after_permute(images, patch_size):
    b, c, h, w = images.shape
    p = patch_size
    grid = images.view(b, c, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5)
    return grid.view(b, -1, c * p * p)


@exercise_cases.wrong_answer(EXERCISE, "read the sizes")
def hard_coded_patch_size(images, patch_size):
    b, c, h, w = images.shape
    grid = images.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 2, 4, 1, 3, 5)
    return grid.reshape(b, -1, c * 4)


@exercise_cases.wrong_answer(EXERCISE, "non-square")
def assumes_square(images, patch_size):
    b, c, h, _ = images.shape
    p = patch_size
    grid = images.reshape(b, c, h // p, p, h // p, p).permute(0, 2, 4, 1, 3, 5)
    return grid.reshape(b, -1, c * p * p)


@exercise_cases.wrong_answer(EXERCISE, "four dimensions")
def one_image_code(images, patch_size):
    c, h, w = images.shape  # the lesson's (C, H, W), without the batch
    p = patch_size
    return images.reshape(c, h // p, p, w // p, p).permute(1, 3, 0, 2, 4).reshape(-1, c * p * p)


@exercise_cases.wrong_answer(EXERCISE, "wrong places")
def grid_not_merged(images, patch_size):
    b, c, h, w = images.shape
    p = patch_size
    grid = images.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5)
    return grid.reshape(b, h // p, w // p, c * p * p)  # (B, H/p, W/p, C*p*p)


@exercise_cases.wrong_answer(EXERCISE, "wrong places")
def unfold_reshape_not_transpose(images, patch_size):
    b, c, h, w = images.shape
    columns = F.unfold(images, patch_size, stride=patch_size)  # (B, C*p*p, n)
    return columns.reshape(b, -1, c * patch_size * patch_size)


@exercise_cases.wrong_answer(EXERCISE, None)
def normalised_patches(images, patch_size):
    tokens = patch_tokens(images, patch_size)
    return tokens - tokens.mean(dim=-1, keepdim=True)  # ViT does not do this


WRONG_ANSWERS = [
    *exercise_cases.wrong_answers_in(globals()),
    (EXERCISE, lambda im, p: patch_tokens(im, p)[:, :-1], None),
]
test_wrong_answers_fail = exercise_cases.wrong_answers_fail(WRONG_ANSWERS)
