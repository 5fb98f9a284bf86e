"""Similarity search over a run with Milvus: representations per epoch and whole training trajectories.

`connect(uri)` opens Milvus Lite ("<path>.db", in-process, one owner process) or a Milvus server
("http://host:19530"); `RunIndex(client, run)` indexes a run incrementally and answers top-k queries.
"""

from ttvis.search.milvus import connect, default_uri, MilvusUnavailable  # noqa: F401
from ttvis.search.index import RunIndex, SPACES  # noqa: F401
