"""The training-dynamics format (SPEC.md): read, record, check, extract and import runs."""

from ttvis.run.reader import Run  # noqa: F401
