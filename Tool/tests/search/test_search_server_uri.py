"""The same code against a Milvus server URI: a `milvus-lite server` process on a free loopback port."""

import numpy as np

from ttvis.search import RunIndex, connect
from ttvis.search.index import GRAPH


def test_index_and_search_through_a_server_uri(milvus_server, digits_run, knn):
    client = connect(milvus_server)
    index = RunIndex(client, digits_run, index=GRAPH)  # the graph index, as large runs get
    last = index.run.epochs[-1]
    index.index_all(epochs=[last], progress=False)
    reps = index.run.representations(last)
    for sample in (1, 700):
        got = index.search(sample, epoch=last, k=10)
        ids, dist = knn(reps, sample, 10)
        assert got["ids"] == ids
        np.testing.assert_allclose(got["distances"], dist, rtol=1e-5)
    got = index.search(5, k=6, space="trajectory", split="test")
    mask = index.run.split == 1
    assert got["ids"] == knn(index.trajectories()[1], 5, 6, mask)[0]
    # a second client (another process would do the same) sees the finished index and adds nothing
    again = RunIndex(connect(milvus_server), digits_run, index=GRAPH)
    before = client.list_partitions(index.rep_collection)
    assert again.search(1, epoch=last, k=10)["ids"] == knn(reps, 1, 10)[0]
    assert client.list_partitions(index.rep_collection) == before


def test_unreachable_server_gives_one_clear_line(unused_port):
    import pytest

    from ttvis.search import MilvusUnavailable

    uri = f"http://127.0.0.1:{unused_port}"
    with pytest.raises(MilvusUnavailable) as err:
        connect(uri, timeout=3)
    assert uri in str(err.value) and "\n" not in str(err.value)
