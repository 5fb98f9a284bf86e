"""Hooks for training frameworks that record a run with ttvis.Recorder (each imports its framework lazily)."""
