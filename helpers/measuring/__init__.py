"""Measuring tools: the instruments the lessons use to show what attention costs.

How long a call takes (:mod:`.timing`: one best-of-N timer, side-by-side timing, one log-log
slope for growth rates), how much memory its tensors hold (:mod:`.memory`), and what autograd
records for the backward pass (:mod:`.autograd`: the longest chain of operations, the bytes
saved), and how time and memory grow with the input length (:mod:`.growth`). They measure any
torch code and know nothing of the applications or the exercises; only their input checks
come from :mod:`helpers.core.validation`.
"""

from .autograd import autograd_depth, saved_tensor_bytes
from .growth import CostCurves, cost_by_length
from .memory import TensorMemoryTracker
from .timing import best_time, best_times, loglog_slope

__all__ = [
    "CostCurves",
    "TensorMemoryTracker",
    "autograd_depth",
    "best_time",
    "best_times",
    "cost_by_length",
    "loglog_slope",
    "saved_tensor_bytes",
]
