"""The CLI calls a ValueError our own checks raise a bad parameter (exit 2), and one raised inside a
library an internal error (exit 3), whose message says so."""

import json
from types import SimpleNamespace

from ttvis import cli
from ttvis.visualize.build import parse_epochs


def _exit(fn, capsys):
    code = cli._run(SimpleNamespace(verb="test", _run=lambda args: fn()))
    return code, capsys.readouterr().err


def test_our_value_error_is_a_bad_parameter(capsys):
    code, err = _exit(lambda: parse_epochs("7", [1, 2]), capsys)
    assert code == 2 and err.startswith("ttvis test: error: epochs [7] are not in the run") and "internal" not in err


def test_a_library_value_error_is_internal(capsys):
    code, err = _exit(lambda: json.loads("{"), capsys)
    assert code == 3 and err.startswith("ttvis test: internal error: JSONDecodeError: Expecting property name")
