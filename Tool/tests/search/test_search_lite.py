"""Indexing a run in real Milvus Lite and searching it: the answers equal exact numpy kNN."""

import numpy as np
import pytest

from ttvis.run import layout
from ttvis.run.reader import Run


@pytest.fixture(scope="module")
def index(lite_client, noisy_run):
    from ttvis.search import RunIndex

    idx = RunIndex(lite_client, noisy_run)
    idx.index_all(progress=False)
    return idx


def test_representation_search_equals_exact_knn(index, knn):
    run = index.run
    for epoch in (run.epochs[0], run.epochs[-1]):
        reps = run.representations(epoch)
        for sample in (0, 17, run.n - 1):
            got = index.search(sample, epoch=epoch, k=10)
            ids, dist = knn(reps, sample, 10)
            assert got["ids"] == ids
            np.testing.assert_allclose(got["distances"], dist, rtol=1e-5)
            assert got["epoch"] == epoch and got["space"] == "representation"


def test_filters_equal_exact_knn_with_the_same_mask(index, knn):
    run = index.run
    e = run.epochs[-1]
    pred = run.predictions(e)
    cases = [({"split": "test"}, run.split == layout.TEST),
             ({"label": 3}, run.labels == 3),
             ({"prediction": 7, "split": "train"}, (pred == 7) & (run.split == layout.TRAIN))]
    for kwargs, mask in cases:
        got = index.search(42, epoch=e, k=8, **kwargs)
        ids, _ = knn(run.representations(e), 42, 8, mask)
        assert got["ids"] == ids, kwargs
        assert mask[got["ids"]].all()


def test_trajectory_search_equals_exact_knn(index, knn):
    from ttvis.run.dynamics import trajectory_vectors

    vec = trajectory_vectors(index.run)
    assert vec.shape == (index.run.n, index.run.n_classes * len(index.run.epochs))
    for sample in (3, 500):
        got = index.search(sample, k=12, space="trajectory")
        ids, dist = knn(vec, sample, 12)
        assert got["ids"] == ids
        np.testing.assert_allclose(got["distances"], dist, rtol=1e-4, atol=1e-6)


def test_bad_query_parameters_raise_value_errors(index):
    with pytest.raises(ValueError, match="space"):
        index.search(0, space="pixels")
    with pytest.raises(ValueError, match="sample"):
        index.search(index.run.n)
    with pytest.raises(ValueError, match="split"):
        index.search(0, split="validation")
    with pytest.raises(ValueError, match="label"):
        index.search(0, label=index.run.n_classes)


def _count(client, collection, epoch):
    return client.query(collection, filter=f"epoch == {epoch}", output_fields=["count(*)"])[0]["count(*)"]


def test_indexing_is_incremental_and_resumes_an_interrupted_epoch(lite_client, run_copy, knn):
    from ttvis import atomic
    from ttvis.search import RunIndex

    run = Run(run_copy)
    first, last = run.epochs[0], run.epochs[-1]
    idx = RunIndex(lite_client, run)
    idx.index_all(epochs=[first], progress=False)
    # an interrupted epoch: its partition exists with only part of the rows
    part = idx.epoch_partition(last)
    idx._ensure_collection(idx.rep_collection, run.dim, with_epoch=True)
    lite_client.create_partition(idx.rep_collection, part)
    reps = np.asarray(run.representations(last))
    lite_client.insert(idx.rep_collection, [{"pk": last * run.n + i, "id": i, "epoch": last, "split": 0, "label": 0,
                                             "prediction": 0, "vector": reps[i]} for i in range(100)],
                       partition_name=part)
    lite_client.flush(idx.rep_collection)
    assert _count(lite_client, idx.rep_collection, last) == 100

    again = RunIndex(lite_client, Run(run_copy))  # a new process would start like this
    again.index_all(progress=False)
    for e in run.epochs:
        assert _count(lite_client, idx.rep_collection, e) == run.n
    assert again.search(9, epoch=last, k=5)["ids"] == knn(reps, 9, 5)[0]

    # indexing again writes nothing new
    before = set(lite_client.list_partitions(idx.rep_collection))
    RunIndex(lite_client, Run(run_copy)).index_all(progress=False)
    assert set(lite_client.list_partitions(idx.rep_collection)) == before

    # a rewritten epoch is re-indexed from its new contents, and its old partition goes away
    new = (reps[::-1] * 2).astype(np.float32)
    atomic.write_npy(run.epoch_dir(last) / layout.REPRESENTATIONS, new)
    fresh = RunIndex(lite_client, Run(run_copy))
    assert fresh.search(9, epoch=last, k=5)["ids"] == knn(new, 9, 5)[0]
    assert part not in lite_client.list_partitions(idx.rep_collection)
    assert _count(lite_client, idx.rep_collection, last) == run.n
