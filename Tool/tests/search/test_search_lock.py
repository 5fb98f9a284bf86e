"""Milvus Lite allows one owner process: anyone else gets one clear line instead of a traceback."""

import os
import subprocess
import sys
import textwrap

import pytest

TOOL = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HOLDER = textwrap.dedent("""
    import sys
    from pymilvus import MilvusClient
    MilvusClient(sys.argv[1])
    print("holding", flush=True)
    sys.stdin.read()
""")


@pytest.fixture
def held_db(tmp_path):
    """A Milvus Lite database opened by another process for the duration of the test."""
    db = tmp_path / "held.db"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if line.strip() != "holding":
            pytest.fail(f"holder did not open the database: {proc.stderr.read()[-2000:]}")
        yield db
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_second_process_gets_a_clear_message(held_db):
    from ttvis.search import MilvusUnavailable, connect

    with pytest.raises(MilvusUnavailable) as err:
        connect(held_db)
    message = str(err.value)
    assert "in use by another process" in message and "docker compose" in message
    assert "\n" not in message


def test_ttvis_index_on_a_held_database_exits_with_one_line(held_db, digits_run):
    env = {**os.environ, "PYTHONPATH": TOOL}
    res = subprocess.run([sys.executable, "-m", "ttvis", "index", str(digits_run), "--milvus", str(held_db)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 1
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert "in use by another process" in lines[0] and "Traceback" not in res.stderr
