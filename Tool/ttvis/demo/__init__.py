"""The local demo: a small CNN trained on real digits that ship with scikit-learn, recorded as a run."""
