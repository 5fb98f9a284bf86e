"""Suspicious samples: per-sample training-dynamics signals and a combined ranking.

`compute_signals(run)` gives each signal for the training samples; `rank_suspicious(run, top=K)` ranks them.
"""

from ttvis.suspicious.signals import COMBINED, SIGNALS, compute_signals  # noqa: F401
from ttvis.suspicious.rank import combined_score, dynamics_score, rank_suspicious  # noqa: F401
