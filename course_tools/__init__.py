"""The course toolkit: the machinery that builds, checks and publishes the course.

Not for learners (they import ``helpers``) and not installed with the course package: it runs from
the repository root (``python -m course_tools.<tool>``, which ``make`` does) with the ``dev``
extra installed. Every module knows the repository's layout through :mod:`course_tools.plan`.

==================  =========================================================================
``plan``            reads ``course.toml``: where the course lives and the lesson sequence
``notebooks``       **the** list of the course's notebooks, and reading/writing them
``colab``           the Colab badge and setup cell at the top of every notebook
``lessons``         generates each lesson from its solved notebook (exercise blanks)
``execute``         runs notebooks in place and strips machine-specific metadata
``figures``         extracts each lesson's course-map figure from the committed outputs
``tables``          the course tables of the READMEs and COURSE_PLAN.md, generated from the plan
``solutions``       copies the worked solutions into ``helpers/exercises/solutions*.json``
``translations``    the 中文 edition: gettext catalogues, Chinese notebooks, checker messages
``exercise_audit``  how many plausible wrong answers ``check`` names, per exercise
``site``            the course website (Sphinx) from the committed notebooks
``colab_check``     every lesson run as on Colab: Python 3.12, newest torch, non-editable install
``sync``            ``make sync``: everything generated, rewritten in one go
==================  =========================================================================
"""
