"""Where the course lives: the one setting a fork changes.

Every "Open in Colab" badge and every Colab setup cell is generated from these two values by
``python -m helpers.colab sync``. A fork sets its own ``owner/name`` here, runs ``make sync``
(or ``make notebooks``) once, and commits the result.
"""

REPOSITORY = "self-attention-course/self-attention-course"  # GitHub "owner/name"
BRANCH = "main"


def package_spec() -> str:
    """The pip requirement that installs this course straight from GitHub (used on Colab)."""
    return f"git+https://github.com/{REPOSITORY}@{BRANCH}"


def colab_url(notebook_path: str) -> str:
    """Colab address of a notebook, given its path inside the repository (POSIX style)."""
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/{notebook_path}"
