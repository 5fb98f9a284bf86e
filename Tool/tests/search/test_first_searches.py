"""The first search of an epoch indexes it in Milvus Lite, and must answer every time.

Indexing used to release and reload the collection while Milvus Lite's background thread was still
writing the fresh segment's index file in place; about one first search in forty read that file
half-written and answered 500 ("its search index was damaged"). 96 first searches catch that rate with
about 95% probability, in well under a minute.
"""

import shutil

COPIES = 16  # x 6 epochs of digits_run = 96 first searches


def test_every_first_search_answers(digits_run, tmp_path):
    from ttvis.server import create_app

    root = tmp_path / "root"
    root.mkdir()
    for i in range(COPIES):
        shutil.copytree(digits_run, root / f"r{i}")
    client = create_app({"DATA_ROOT": str(root), "MILVUS_URI": str(tmp_path / "milvus" / "first.db")}).test_client()
    failures = []
    epochs = client.get("/api/runs/r0").get_json()["epochs"]
    for i in range(COPIES):
        for e in epochs:
            r = client.get(f"/api/runs/r{i}/search?sample=0&epoch={e}&k=5")
            if r.status_code != 200 or len(r.get_json()["ids"]) != 5:
                failures.append((i, e, r.status_code, r.get_json()))
    assert failures == []
