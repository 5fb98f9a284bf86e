"""Helpers for tests that serve runs: every GET route about one run, and run files linked out of a root."""

import shutil
import time


def get_urls(app, run, *, epoch, method="pca", sample=0, search=False):
    """Every GET route about run `run`, filled in (the search route only when `search`: it needs Milvus)."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith("/api/runs"):
            continue
        if rule.rule.endswith("/search") and not search:
            continue
        url = (rule.rule.replace("<run>", run).replace("<epoch>", str(epoch)).replace("<method>", method)
               .replace("<sample>", str(sample)))
        yield url + (f"?sample={sample}" if rule.rule.endswith("/search") else "")


def link_out(run, rel, outside):
    """Move run file (or folder) `rel` to the same place under `outside` and leave a symbolic link to it."""
    target = outside / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(run / rel, target)
    (run / rel).symlink_to(target)


def build(client, run, method, timeout=180):
    """Start a build of `method` from the API and wait for it to end; returns its last state."""
    assert client.post(f"/api/runs/{run}/methods/{method}/build", json={}).status_code == 202
    deadline = time.monotonic() + timeout
    state = client.get(f"/api/runs/{run}/methods/{method}/build").get_json()
    while state["state"] == "running":
        assert time.monotonic() < deadline, state
        time.sleep(0.1)
        state = client.get(f"/api/runs/{run}/methods/{method}/build").get_json()
    return state
