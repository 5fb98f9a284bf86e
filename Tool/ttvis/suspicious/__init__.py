"""Suspicious samples: per-sample signals, a combined ranking with reasons, and a person's marks.

`compute_signals(run)` gives each signal for the training samples; `rank_suspicious(run, top=K, marks=...)`
ranks them; `ttvis.suspicious.marks` keeps the marks of a run.
"""

from ttvis.suspicious.signals import COMBINED, SIGNALS, compute_signals  # noqa: F401
from ttvis.suspicious.rank import analyse, combined_score, dynamics_score, rank_suspicious, ranking  # noqa: F401
