"""Index a run in Milvus and answer top-k queries.

Two collections per run:
- representations: one partition per epoch, rows (pk, id, epoch, split, label, prediction, vector);
- trajectories: one row per sample (pk = id, split, label, final prediction, trajectory vector).

Runs of up to EXACT_MAX_ROWS samples get a flat index (exact answers, filters included); larger ones an
HNSW graph, whose beam widens as a filter keeps fewer samples (a narrow beam misses filtered neighbours).
Each partition's name carries a fingerprint of the files it was built from, so indexing is
incremental (only new or changed epochs are written) and resumable (an interrupted partition has
fewer rows than samples and is rebuilt). Distances are Euclidean, recomputed exactly from the run's
arrays for the returned ids, so Milvus Lite and a Milvus server give the same numbers.

The index is derived data: when Milvus fails on a collection's stored files (garbled or truncated
segments, a broken manifest, a missing schema), the collection is dropped and rebuilt once, with one
line in the log; when even that fails, the error names the folder to delete.
"""

import hashlib
import logging
import re
import shutil
import threading

import numpy as np
from tqdm import tqdm

from ttvis.errors import RunError, first_line
from ttvis.run import layout
from ttvis.run.reader import Run
from ttvis.search.milvus import MilvusUnavailable
from ttvis.run.dynamics import MAX_EPOCHS, trajectory_vectors

SPACES = ("representation", "trajectory")
EXACT = {"index_type": "FLAT", "metric_type": "L2", "params": {}}
GRAPH = {"index_type": "HNSW", "metric_type": "L2", "params": {"M": 16, "efConstruction": 200}}
EXACT_MAX_ROWS = 20000  # up to this many samples a flat (exact) index answers fast enough
SEARCH_EF = 4096    # HNSW beam width at query time: recall@10 0.99 at 60k x 512 (bench_search.py); wider for filters
BATCH = 2000        # rows per insert
SPLITS = {"train": layout.TRAIN, "test": layout.TEST}
log = logging.getLogger(__name__)


def _from_milvus(exc):
    return type(exc).__module__.split(".")[0] in ("pymilvus", "milvus_lite", "grpc")



def _fingerprint(*parts):
    h = hashlib.sha1()
    for p in parts:
        if hasattr(p, "stat"):
            if not p.is_file():
                raise RunError(p, "file is missing")
            st = p.stat()
            h.update(f"{p.name}:{st.st_size}:{st.st_mtime_ns};".encode())
        else:
            h.update(f"{p};".encode())
    return h.hexdigest()[:10]


class RunIndex:
    """The Milvus side of one run: incremental indexing and top-k queries. Thread-safe."""

    def __init__(self, client, run, index=None, search_ef=SEARCH_EF):
        self.client = client
        self.run = run if isinstance(run, Run) else Run(run)
        self.index = dict(index or (EXACT if self.run.n <= EXACT_MAX_ROWS else GRAPH))
        self.search_ef = search_ef
        self.lite_path = getattr(client, "ttvis_lite_path", None)  # a Milvus Lite database folder, or None
        key = hashlib.sha1(str(self.run.path.resolve()).encode()).hexdigest()[:10]
        base = re.sub(r"[^A-Za-z0-9_]", "_", self.run.name)[:40]
        self.rep_collection = f"ttvis_{base}_{key}_rep"
        self.traj_collection = f"ttvis_{base}_{key}_traj"
        self._ready = {}          # epoch -> partition name, or "trajectory" -> partition name
        self._traj = None         # (partition name, vectors)
        self._lock = threading.RLock()
        self._unsettled = False   # epochs were written without waiting for their index (index_all)

    # -- naming ---------------------------------------------------------------------------------
    def _dataset_files(self):
        return [self.run.file(layout.LABELS), self.run.file(layout.SPLIT)]

    def epoch_partition(self, epoch):
        d = self.run.epoch_dir(epoch)
        fp = _fingerprint(*self._dataset_files(), d / layout.REPRESENTATIONS, d / layout.LOGITS)
        return f"e{epoch}_{fp}".replace("-", "m")

    def trajectory_partition(self):
        files = [self.run.epoch_dir(e) / layout.LOGITS for e in self.run.epochs]
        return f"t_{_fingerprint(*self._dataset_files(), *files, MAX_EPOCHS)}"

    # -- collections ------------------------------------------------------------------------------
    def _ensure_collection(self, name, dim, with_epoch):
        from pymilvus import DataType, MilvusClient

        c = self.client
        if c.has_collection(name):
            fields = c.describe_collection(name).get("fields", [])
            dims = [f.get("params", {}).get("dim") for f in fields if f.get("name") == "vector"]
            kind = c.describe_index(name, "vector").get("index_type")
            if dims and int(dims[0]) == dim and kind == self.index["index_type"]:
                c.load_collection(name)
                return
            c.drop_collection(name)  # another size or dimension now: it is derived, rebuild it
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("pk", DataType.INT64, is_primary=True)
        schema.add_field("id", DataType.INT64)
        if with_epoch:
            schema.add_field("epoch", DataType.INT64)
        schema.add_field("split", DataType.INT8)
        schema.add_field("label", DataType.INT32)
        schema.add_field("prediction", DataType.INT32)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        params = c.prepare_index_params()
        params.add_index(field_name="vector", index_type=self.index["index_type"],
                         metric_type=self.index["metric_type"], params=self.index.get("params", {}))
        c.create_collection(name, schema=schema, index_params=params)

    # -- repair ---------------------------------------------------------------------------------
    def _folder(self, collection):
        return self.lite_path / "collections" / collection if self.lite_path is not None else None

    def _healing(self, collection, op):
        """op(); when Milvus fails on `collection`, drop and rebuild that collection once and try again."""
        try:
            return op()
        except Exception as exc:
            if not _from_milvus(exc):
                raise
            why = first_line(exc)
        self._drop_damaged(collection)
        try:
            result = op()
        except Exception as exc:
            if not _from_milvus(exc):
                raise
            folder = self._folder(collection)
            todo = (f"stop ttvis, delete {folder}, and index again" if folder is not None
                    else f"drop the collection {collection} in Milvus and index again")
            raise MilvusUnavailable(None, f"the search index of {self.run.path} is damaged and could not be "
                                          f"rebuilt ({first_line(exc)}); {todo}") from None
        log.warning("%s: search index %s was damaged (%s); rebuilt it", self.run.path, collection, why)
        return result

    def _drop_damaged(self, collection):
        self._ready.clear()
        try:
            self.client.drop_collection(collection)
        except Exception:  # Milvus cannot open it to drop it
            pass
        folder = self._folder(collection)
        if folder is not None and folder.is_dir():
            # what Milvus Lite could not drop, or no longer counts as a collection (e.g. its schema is gone)
            shutil.rmtree(folder, ignore_errors=True)

    def _count(self, collection, partition, filter):
        # the filter repeats the partition: Milvus Lite's count(*) ignores partition_names
        res = self.client.query(collection, filter=filter, output_fields=["count(*)"], partition_names=[partition])
        return int(res[0]["count(*)"]) if res else 0

    def _drop_partition(self, collection, partition):
        try:
            self.client.drop_partition(collection, partition)  # Milvus Lite drops loaded partitions
        except Exception:
            self.client.release_partitions(collection, [partition])  # a Milvus server wants them released
            self.client.drop_partition(collection, partition)

    def _fill(self, collection, partition, prefix, count_filter, rows, bar, settle=True):
        """Make `partition` hold exactly `rows`; reuse it when complete, rebuild it otherwise."""
        c = self.client
        for old in c.list_partitions(collection):
            if old.startswith(prefix) and old != partition:
                self._drop_partition(collection, old)  # built from files that have changed since
        if c.has_partition(collection, partition):
            if self._count(collection, partition, count_filter) == self.run.n:
                return False
            self._drop_partition(collection, partition)  # interrupted earlier: start it again
        c.create_partition(collection, partition)
        for b in range(0, self.run.n, BATCH):
            c.insert(collection, rows(b, min(self.run.n, b + BATCH)), partition_name=partition)
            if bar is not None:
                bar.update(min(self.run.n, b + BATCH) - b)
        c.flush(collection)
        if settle:
            self._settle(collection)
        return True

    def _settle(self, collection, timeout=600):
        """Return once a Milvus server has indexed every row (it reports pending rows while it builds).

        The collection stays loaded: Milvus Lite indexes fresh segments in a background thread and scans
        them exactly until then. Releasing and reloading it here raced that thread, whose index files
        are written in place: a load could read one half-written and fail."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self.client.describe_index(collection, "vector") or {}
            if not info.get("pending_index_rows"):
                return
            time.sleep(0.5)

    # -- indexing -------------------------------------------------------------------------------
    def ensure_epoch(self, epoch, bar=None, settle=True):
        """Index the representations of `epoch` unless already indexed; returns its partition name."""
        return self._healing(self.rep_collection, lambda: self._ensure_epoch(epoch, bar, settle))

    def _ensure_epoch(self, epoch, bar, settle):
        with self._lock:
            part = self.epoch_partition(epoch)
            if self._ready.get(epoch) == part:
                return part
            reps = self.run.representations(epoch)
            pred = self.run.predictions(epoch)
            labels, split, n = self.run.labels, self.run.split, self.run.n
            self._ensure_collection(self.rep_collection, int(reps.shape[1]), with_epoch=True)

            def rows(lo, hi):
                block = np.asarray(reps[lo:hi], dtype=np.float32)
                return [{"pk": int(epoch) * n + i, "id": i, "epoch": int(epoch), "split": int(split[i]),
                         "label": int(labels[i]), "prediction": int(pred[i]), "vector": block[i - lo]}
                        for i in range(lo, hi)]

            prefix = f"e{epoch}_".replace("-", "m")
            if self._fill(self.rep_collection, part, prefix, f"epoch == {int(epoch)}", rows, bar, settle):
                self._unsettled = not settle
            self._ready[epoch] = part
            return part

    def trajectories(self):
        """(partition name, float32 (N, dim) trajectory vectors), computed once per run state."""
        with self._lock:
            part = self.trajectory_partition()
            if self._traj is None or self._traj[0] != part:
                self._traj = (part, trajectory_vectors(self.run))
            return self._traj

    def ensure_trajectory(self, bar=None):
        """Index the trajectories unless already indexed; returns their partition name."""
        return self._healing(self.traj_collection, lambda: self._ensure_trajectory(bar))

    def _ensure_trajectory(self, bar):
        with self._lock:
            part, vec = self.trajectories()
            if self._ready.get("trajectory") == part:
                return part
            final = self.run.predictions(self.run.epochs[-1])
            labels, split = self.run.labels, self.run.split
            self._ensure_collection(self.traj_collection, int(vec.shape[1]), with_epoch=False)

            def rows(lo, hi):
                return [{"pk": i, "id": i, "split": int(split[i]), "label": int(labels[i]),
                         "prediction": int(final[i]), "vector": vec[i]} for i in range(lo, hi)]

            self._fill(self.traj_collection, part, "t_", "", rows, bar)
            self._ready["trajectory"] = part
            return part

    def index_all(self, epochs=None, progress=True):
        """Index every epoch (or `epochs`) and the trajectories; already indexed parts are skipped."""
        epochs = self.run.epochs if epochs is None else list(epochs)
        with tqdm(total=self.run.n * (len(epochs) + 1), desc=f"indexing {self.run.name}", unit="vec",
                  disable=not progress, unit_scale=True) as bar:
            for i, e in enumerate(epochs):
                bar.set_postfix(epoch=e, refresh=False)
                self.ensure_epoch(e, bar=bar, settle=False)
                bar.n = (i + 1) * self.run.n
                bar.refresh()
            self.ensure_trajectory(bar=bar)
            if self._unsettled:
                bar.set_postfix_str("building the vector index", refresh=True)
                self._healing(self.rep_collection, lambda: self._settle(self.rep_collection))
                self._unsettled = False
            bar.n = bar.total
            bar.refresh()
        return {"collections": [self.rep_collection, self.traj_collection], "epochs": epochs}

    # -- queries --------------------------------------------------------------------------------
    def search(self, sample, epoch=None, k=10, space="representation", split=None, label=None, prediction=None):
        """The k samples nearest to `sample` (itself excluded), with Euclidean distances.

        representation space compares the samples' representations at `epoch` (default: the last);
        trajectory space compares whole probability paths, and `prediction` then means the final one.
        Filters: split ("train"/"test"), label and prediction (class indices).
        """
        run = self.run
        if space not in SPACES:
            raise ValueError(f"space must be one of {', '.join(SPACES)}, got {space!r}")
        if not 0 <= int(sample) < run.n:
            raise ValueError(f"sample must be in 0..{run.n - 1}, got {sample}")
        if int(k) < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        sample, k = int(sample), int(k)
        epoch = run.epochs[-1] if epoch is None else int(epoch)
        run._require_epoch(epoch)
        terms, keep = [], np.ones(run.n, dtype=bool)
        if split is not None:
            if split not in SPLITS:
                raise ValueError(f'split must be "train" or "test", got {split!r}')
            terms.append(f"split == {SPLITS[split]}")
            keep &= run.split == SPLITS[split]
        for name, value in (("label", label), ("prediction", prediction)):
            if value is not None:
                if not 0 <= int(value) < run.n_classes:
                    raise ValueError(f"{name} must be a class index in 0..{run.n_classes - 1}, got {value}")
                terms.append(f"{name} == {int(value)}")
                column = run.labels if name == "label" else run.predictions(
                    epoch if space == "representation" else run.epochs[-1])
                keep &= column == int(value)
        if space == "representation":
            collection, ensure, vectors = self.rep_collection, lambda: self._ensure_epoch(epoch, None, True), \
                run.representations(epoch)
        else:
            collection, ensure, vectors = self.traj_collection, lambda: self._ensure_trajectory(None), \
                self.trajectories()[1]
        query = np.asarray(vectors[sample], dtype=np.float32)
        params = {}
        if self.index["index_type"].startswith("HNSW"):
            kept = max(int(keep.sum()), 1)
            widen = np.sqrt(run.n / kept)  # filtered graph search needs a wider beam to meet enough matches
            params["ef"] = int(min(max(self.search_ef * widen, 2 * (k + 1)), max(run.n, self.search_ef)))

        def find():
            return self.client.search(collection, data=[query], limit=k + 1, filter=" and ".join(terms),
                                      partition_names=[ensure()], output_fields=["id"],
                                      search_params={"metric_type": self.index["metric_type"], "params": params})

        hits = self._healing(collection, find)
        ids = np.array([int(h["entity"]["id"]) for h in hits[0]], dtype=np.int64)
        ids = ids[ids != sample]
        dist = np.linalg.norm(np.asarray(vectors[ids], dtype=np.float64) - query, axis=1)
        order = np.argsort(dist, kind="stable")[:k]
        return {"sample": sample, "epoch": epoch, "space": space, "k": k,
                "ids": ids[order].tolist(), "distances": [float(d) for d in dist[order]]}
