"""The site build of the course toolkit, for the book tests."""

from course_tools import site as site_build
from course_tools.plan import ROOT

__all__ = ["ROOT", "site_build"]
