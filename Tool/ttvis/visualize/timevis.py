"""TimeVis (Temporality Spatialization): ONE encoder/decoder for all epochs, trained on a graph with
spatial edges inside each epoch (UMAP's fuzzy simplicial set over samples + boundary samples) and
temporal edges joining each sample to itself in the next epoch, weighted by how much of its kNN set
survives. Unlike the original, both halves also see a learned epoch embedding, so each epoch keeps
its own inverse map while positions stay comparable across epochs.

Training has two stages: UMAP's optimisation first lays the whole graph out in 2D (target_layout.py),
then the encoder learns to reproduce that layout's positions (and, where it places the samples shown,
the offsets along the graph's edges) while the decoder learns the inverse with reconstruction and
prediction preservation (where the layout is shown, from half of each batch, see _light). The samples
the layout placed are shown where it placed them (placed()) when the decoder agrees (_decodes_alike):
the encoder, a smooth function, keeps about 80% of the layout's neighbours, the layout itself about
umap-learn's.
Fitting the map through the UMAP loss alone (layout_epochs=0, the published method) keeps about half the
neighbours umap-learn keeps. The few samples shown in another class's territory then settle
(settling.py).

Large runs train keyframe epochs in full and the others on a few landmarks (sampling.py), through the
UMAP loss (the joint layout cannot place such light epochs); `add_epochs` gives a new epoch an
embedding interpolated between its neighbouring keyframes, and `fit_more` trains new epochs into a
fitted model while anchors hold earlier epochs where they were (incremental builds)."""

import time

import numpy as np
import torch

from ttvis.visualize import graph as G
from ttvis.visualize.target_layout import graph_layout
from ttvis.visualize.networks import VisModel
from ttvis.visualize.parametric import COMMON_DEFAULTS, ParametricProjector, heads_by_row, save_npz
from ttvis.visualize.projector import register


LAYOUT_EPOCHS = 100  # optimisation epochs of a fit's target layout (an extension's: a quarter); with epoch-local
                     # negatives 100 keep more than umap-learn's 200 did (MNIST 10k, the layout's own NN@15 6.65
                     # against 6.58, temporal ranking 0.820 against 0.780; synthetic 10k x 20: 9.18 against 8.79)
SHOWN_PPR_LOSS = 0.1  # the layout is shown only if decoding it keeps the head's predictions this nearly as
                     # often as decoding the encoder's positions, over the graph's samples (digits, 20 epochs:
                     # 0.924 against 0.950; 100 epochs in one layout, which the encoder no longer follows:
                     # 0.73 against 0.98, and PPR 0.69 at the last epoch had it been shown)
LAYOUT_TEMPORAL_WEIGHT = 1.0  # temporal edges in a target layout, as heavy as the heaviest spatial ones. The
                     # built map's temporal ranking, MNIST 10k seeds 0-2: 0.809 / 0.807 / 0.812 against 0.799 /
                     # 0.802 / 0.797 at 1.5 (NN@15 5.30 against 5.34); digits 0.854 against 0.835. Edges are
                     # sampled in proportion to the heaviest, so the layout takes 40% longer (MNIST 13 s against
                     # 9 s), and that is not what helps: 1.5 with 150 layout epochs gives 0.800. At 2.5, chains
                     # of copies pulled too hard collapse (the layout's own ranking 0.804 against 0.820 at 1.5)
UMAP_LOSS_TEMPORAL_WEIGHT = 1.5  # temporal edges where the encoder places what is shown: the UMAP loss
                     # (layout_epochs 0), and landmark builds, whose layout holds a sample of each epoch
                     # (synthetic 10k x 20: the built map's temporal ranking 0.781 against 0.747 at 1.0)


@register
class TimeVis(ParametricProjector):
    name = "timevis"
    cost, preference, streams, samples_keyframes, extendable = 5, 0, False, True, True
    # One model serves every epoch, so it needs more width than DVI's per-epoch models (64 wide
    # underfits), and smaller batches (more optimiser steps for the same edge samples) fit finer.
    defaults = {**COMMON_DEFAULTS,
                "hidden": (128, 128),
                "batch_size": 512,
                "samples_per_node": 2,
                "min_steps_per_pass": 100,  # regressing onto a layout wants more steps than the UMAP loss
                                            # (digits: 200 gave NN@15 8.02 against 7.99, for 4-8 s more)
                "epoch_dim": 8,            # size of the learned epoch embedding (0: plain TimeVis)
                "temporal_weight": None,   # weight of temporal edges relative to spatial ones (None: see
                                           # _temporal_weight)
                "subset": False,           # k-center greedy subset of each epoch's samples in the graph
                "keyframes": 20,           # at most this many epochs are trained on (0: all)
                "layout_epochs": None,     # optimisation epochs of the target layout (0: no layout,
                                           # the UMAP loss shapes the map; None: LAYOUT_EPOCHS when every
                                           # trained epoch is a keyframe, else 0, see _layout_epochs)
                "local_negatives": 2,      # of each layout edge's negative_rate negatives, how many are drawn from
                                           # its own epoch (target_layout.py; 0: umap-learn's uniform sampling)
                "refine_alpha": 0.0,       # learning rate of refining each keyframe's layout alone afterwards
                                           # (0: not refined; umap-learn's uniform sampling wanted 0.01)
                "layout_weight": 100.0,    # pull of the encoder onto the target layout (unit spread), against
                                           # the prediction term's 5: that one still bends it near boundaries
                "offset_weight": None,     # with a layout, the encoder also reproduces each edge's offset, with
                                           # this weight relative to the positions' (None: see _light)
                "decoder_share": None,     # with a layout, the decoder's terms learn from this share of each
                                           # batch's nodes (None: see _light; without a layout, all)
                "detach_decoder": False,   # the decoder's terms (reconstruction, prediction) train it alone
                "show_layout": True,       # with a layout, show the samples it placed where it placed them (the
                                           # fit's ids: the builds pass whole training splits only; the encoder
                                           # places the rest, e.g. test samples); False: the encoder places all
                "decode_at": "encoder",    # with a layout, the decoder learns from the encoder's output, the
                                           # layout's position (where samples are shown) or both (digits: test
                                           # PPR 0.961 against 0.928 for both, train 0.970 against 0.973)
                "anchor_weight": 1000.0,   # incremental builds: pull of earlier epochs' stored positions
                "extend_lr": 1e-3,         # incremental builds: learning rate (fine-tuning a fitted model)
                "extend_min_steps": 40}    # incremental builds: batches per pass at least (a fitted model
                                           # fine-tunes in fewer; what one new epoch costs a live page)

    @classmethod
    def warm_up(cls):
        from ttvis.visualize import target_layout

        target_layout.warm_up()  # the layout's SGD compiles with numba in every new process

    def _validate_params(self):
        super()._validate_params()
        self._check_int("epoch_dim", 0, 256)
        if self.temporal_weight is not None:
            self._check_float("temporal_weight", 0.0)
        if not isinstance(self.subset, bool):
            raise ValueError(f"subset must be true or false, got {self.subset!r}")
        self._check_int("keyframes", 0)
        if self.layout_epochs is not None:
            self._check_int("layout_epochs", 0, 10000)
        self._check_int("local_negatives", 0, self.negative_rate)
        if self.refine_alpha is not None:  # None: saved before refinement became optional (not refined now)
            self._check_float("refine_alpha", 0.0, 1.0)
        self._check_float("layout_weight", 0.0)
        if self.offset_weight is not None:
            self._check_float("offset_weight", 0.0)
        if self.decoder_share is not None:
            self._check_float("decoder_share", 0.0, 1.0, low_open=True)
        self._check_int("extend_min_steps", 1)
        if not isinstance(self.detach_decoder, bool):
            raise ValueError(f"detach_decoder must be true or false, got {self.detach_decoder!r}")
        if not isinstance(self.show_layout, bool):
            raise ValueError(f"show_layout must be true or false, got {self.show_layout!r}")
        self._check_choice("decode_at", ("encoder", "layout", "both"))
        self._check_float("anchor_weight", 0.0)
        self._check_float("extend_lr", 0.0, 1.0, low_open=True)

    def _build_graph(self, X, boundary, checkpoint_dir):
        path = checkpoint_dir / "graph.npz" if checkpoint_dir is not None else None
        if path is not None and path.is_file():
            with np.load(path) as f:
                return {k: f[k] for k in f.files}
        rows, cols, ws, E, sample_ids, node_src = [], [], [], [], [], []
        offset, prev, key = 0, None, None
        for e in sorted(X):
            i = self.epochs_.index(e)
            keep = (G.kcenter_greedy(X[e], seed=self.seed + i) if self.subset else np.arange(len(X[e])))
            Bt = None if boundary is None or boundary.get(e) is None else np.asarray(boundary[e], np.float32)
            r, c, w, sknn = self._epoch_graph(X[e][keep], Bt, self.seed + i)
            n_nodes = len(keep) + (0 if Bt is None else len(Bt))
            rows.append(r + offset), cols.append(c + offset), ws.append(w)
            E.append(np.full(n_nodes, i, np.int64))
            ids = np.concatenate([keep, np.full(n_nodes - len(keep), -1)])
            sample_ids.append(ids)
            node_src.append(np.stack([np.full(n_nodes, i), np.concatenate([keep, np.arange(n_nodes - len(keep))]),
                                      (ids < 0).astype(np.int64)], 1))
            cur = {"offset": offset, "keep": keep, "knn": np.where(sknn >= 0, keep[np.maximum(sknn, 0)], -1)}
            if prev is not None and self.temporal_weight_ > 0:
                r2, c2, w2 = self._temporal_edges(prev, cur)
                if key is not None and key is not prev and e in self.keyframes_:  # keyframe to keyframe, for
                    r3, c3, w3 = self._temporal_edges(key, cur, skip=prev["keep"])  # samples the epochs between lack
                    r2, c2, w2 = np.concatenate([r2, r3]), np.concatenate([c2, c3]), np.concatenate([w2, w3])
                rows.append(np.concatenate([r2, c2])), cols.append(np.concatenate([c2, r2]))
                ws.append(np.concatenate([w2, w2]))
            prev = cur
            key = cur if e in self.keyframes_ else key
            offset += n_nodes
        g = {"rows": np.concatenate(rows), "cols": np.concatenate(cols), "weights": np.concatenate(ws),
             "E": np.concatenate(E), "node_src": np.concatenate(node_src)}
        if path is not None:
            save_npz(path, **g)
        return g

    def _temporal_edges(self, prev, cur, skip=()):
        """Edges (node in t-1, same sample's node in t) weighted by kNN overlap (samples only; not those
        in `skip`)."""
        common, ip, ic = np.intersect1d(prev["keep"], cur["keep"], return_indices=True)
        if len(skip):
            kept = ~np.isin(common, skip)
            common, ip, ic = common[kept], ip[kept], ic[kept]
        if len(common) == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32)
        overlap = G.neighbourhood_overlap(prev["knn"][ip], cur["knn"][ic])
        w = (self.temporal_weight_ * np.clip(overlap, 0.05, 1.0)).astype(np.float32)
        return (prev["offset"] + ip).astype(np.int64), (cur["offset"] + ic).astype(np.int64), w

    def _fit(self, X, *, heads, boundary, checkpoint_dir, progress, stats=None, keyframes=None, pass_nodes=0,
             ids=None):
        """pass_nodes: train passes as long as on a graph of that many nodes when X is a sample of more;
        ids {epoch: sample ids of X[epoch]'s rows}: what placed() names (without them nothing is placed)."""
        stats = [stats[e] if stats is not None else self._stats(X[e]) for e in self.epochs_]
        torch.manual_seed(self.seed)
        self.model_ = self._new_model(len(self.epochs_), self.epoch_dim, [s[0] for s in stats], [s[1] for s in stats])
        self.keyframes_ = sorted(keyframes) if keyframes else list(self.epochs_)
        self.layout_, self.layout_scale_ = self._layout_epochs(), None
        self.temporal_weight_ = self._temporal_weight(self._may_show(ids))
        self._set_mix()
        self.placed_ = {}
        self.history_ = self._train(X, heads, boundary, checkpoint_dir, progress, pass_nodes=pass_nodes, ids=ids)

    def _layout_epochs(self):
        """The target layout's epochs for this fit (an extension keeps the fit's choice). By default a
        layout only when every epoch is a keyframe: a sampled build's light epochs, a few hundred samples
        each between keyframes, are placed badly by one joint layout, and the encoder cannot follow both
        them and the keyframes (synthetic 3000 x 40 epochs, 5 keyframes: PPR 0.10-0.39 at the first epochs
        and temporal ranking 0.48 with the layout, 0.26-1.0 and 0.83 with the UMAP loss)."""
        if self.layout_epochs is not None:
            return self.layout_epochs
        return LAYOUT_EPOCHS if set(self.epochs_) <= set(self.keyframes_) else 0

    def _may_show(self, ids):
        """Whether a fit's layout positions may be shown: it names its samples (ids) and show_layout is
        set; the decoder must still agree (_decodes_alike)."""
        return bool(ids) and self.show_layout

    def _temporal_weight(self, shown):
        """The temporal edges' weight for a fit (shown: whether its target layout's positions may be shown):
        LAYOUT_TEMPORAL_WEIGHT where they are, UMAP_LOSS_TEMPORAL_WEIGHT otherwise (the UMAP loss, and
        landmark builds, whose encoder places every sample); an explicit temporal_weight wins."""
        if self.temporal_weight is not None:
            return float(self.temporal_weight)
        return LAYOUT_TEMPORAL_WEIGHT if self.layout_ and shown else UMAP_LOSS_TEMPORAL_WEIGHT

    def fit_more(self, X, *, heads, keyframes, boundary=None, anchors=None, checkpoint_dir=None, progress=None,
                 ids=None):
        """Train epochs X ({epoch: (n, D)}, all among epochs_, e.g. after add_epochs) into the fitted
        model, `keyframes` among them getting embeddings of their own. anchors = (X (m, D), epochs (m,),
        positions (m, 2)): points of earlier epochs pulled towards the positions they had, so that what
        was built before stays where it was; epochs of X trained before (an extension's bridge) also stay
        where the target layout has them. ids: as in fit, for the new epochs."""
        X = self._check_data(X)
        held = [e for e in X if e in self.keyframes_]  # trained before: the layout leaves them where they are
        self.keyframes_ = sorted(set(self.keyframes_) | set(keyframes))
        self._set_mix()
        self.history_ = self._train(X, heads, boundary, checkpoint_dir, progress, anchors=anchors, ids=ids, held=held)
        return self

    def placed(self, epoch):
        return self.placed_.get(epoch)

    def _train(self, X, heads, boundary, checkpoint_dir, progress, anchors=None, pass_nodes=0, ids=None, held=None):
        if checkpoint_dir is not None:
            checkpoint_dir.mkdir(parents=True, exist_ok=True)
        self.layout_check_ = None
        if progress:
            progress(0.0, "building the neighbourhood graph")
        started = time.perf_counter()
        g = self._build_graph(X, boundary, checkpoint_dir)
        nodes = _gather_nodes(g["node_src"], self.epochs_, X, boundary)
        graph_seconds = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        shown = self._may_show(ids)
        positions = self._layouts(g, nodes, checkpoint_dir, progress, held=held)
        layout_seconds = round(time.perf_counter() - started, 3)
        if anchors is not None:
            anchors = (anchors[0], np.asarray([self.epochs_.index(int(e)) for e in anchors[1]]), anchors[2],
                       self.anchor_weight)
        trainer = self._trainer(self.model_, nodes, g["E"], g["rows"], g["cols"], g["weights"],
                                heads_by_row(heads, self.epochs_, X), self.seed, anchors=anchors,
                                lr=self.extend_lr if anchors is not None else None, pass_nodes=pass_nodes,
                                min_steps=self.extend_min_steps if anchors is not None else None,
                                positions=positions, layout_weight=self.layout_weight,
                                **self._light(None if positions is None else bool(shown)),
                                detach_decoder=self.detach_decoder, decode_at=self.decode_at)
        on_pass = (lambda p, total, loss: progress(p / total, f"training pass {p}/{total}, loss {loss:.4f}")) \
            if progress else None
        history = trainer.fit(checkpoint_dir / "trainer.pt" if checkpoint_dir is not None else None, on_pass)
        self.model_ = trainer.model.eval()
        if positions is not None and shown and self._decodes_alike(trainer, g):
            self._place(g, positions, ids)
        self.graph_size_ = {"nodes": int(len(nodes)), "edges": int(len(g["rows"])), "seconds": graph_seconds,
                            "layout_seconds": layout_seconds, "layout_check": self.layout_check_}
        return history

    def _light(self, shown):
        """offset_weight and decoder_share of a regression onto a layout (shown: whether the layout's own
        positions will be shown; None: no layout). Where they are, the encoder places only test samples
        and new data, so each edge's offset, which costs encoding every edge's tail, buys little, and the
        decoder's terms, 60% of a step, learn from half of each batch: MNIST 38.1 s against 46.2 s, test
        NN@15 5.60 against 5.71. Where the encoder places the samples shown (landmark builds), both stay
        whole (synthetic 10k x 20, half a decoder: NN@15 5.36 without offsets, 5.57 with; 5.76 whole)."""
        if shown is None:  # the UMAP loss: whole batches, and no layout to take offsets from
            return {"offset_weight": 0.0, "decoder_share": 1.0}
        return {"offset_weight": (0.0 if shown else 1.0) if self.offset_weight is None else self.offset_weight,
                "decoder_share": (0.5 if shown else 1.0) if self.decoder_share is None else self.decoder_share}

    def _decodes_alike(self, trainer, g, batch=16384):
        """Whether the decoder keeps the head's predictions at the layout's positions of the graph's samples
        within SHOWN_PPR_LOSS of at the encoder's (both shares are kept in layout_check_)."""
        if trainer.targets is None:
            return True
        rows = torch.from_numpy(np.flatnonzero(g["node_src"][:, 2] == 0))
        kept = {"layout": 0, "encoder": 0}
        model = trainer.model.eval()
        with torch.no_grad():
            for s in range(0, len(rows), batch):
                r = rows[s:s + batch].to(trainer.device)
                x, e, want = trainer.X[r], trainer.E[r], trainer.targets[r].argmax(1)
                for where, z in (("layout", trainer.positions[r]), ("encoder", model.encode(x, e))):
                    kept[where] += int((trainer.logits(model.decode(z, e), e).argmax(1) == want).sum())
        self.layout_check_ = {k: round(v / max(1, len(rows)), 4) for k, v in kept.items()}
        return self.layout_check_["layout"] >= self.layout_check_["encoder"] - SHOWN_PPR_LOSS

    def _place(self, g, positions, ids):
        """Keep the layout's positions of the sampled nodes of epochs not placed before (an extension
        lays its bridge epoch out again, but that epoch is already shown where the fit placed it)."""
        src = g["node_src"]
        for e in ids:
            i = self.epochs_.index(e)
            m = (src[:, 0] == i) & (src[:, 2] == 0)
            if m.any() and e not in self.placed_:
                self.placed_[e] = (np.asarray(ids[e], np.int64)[src[m, 1]], positions[m].astype(np.float32))

    def _layouts(self, g, nodes, checkpoint_dir, progress, held=None):
        """Target positions of the graph's nodes (target_layout.py), or None when this fit has none. held:
        an incremental build's epochs already shown (its bridge): the layout begins where the fitted
        model puts the nodes and moves only the others; None: from scratch."""
        if not self.layout_:
            return None
        path = checkpoint_dir / "layout.npz" if checkpoint_dir is not None else None
        if path is not None and path.is_file():
            with np.load(path) as f:
                if held is None:  # a checkpoint written before the scale was kept has none
                    self.layout_scale_ = float(f["scale"]) or None if "scale" in f.files else None
                return f["positions"]
        if progress:
            progress(0.0, "laying out the epochs")
        init = pinned = None
        if held is not None:
            init = np.empty((len(nodes), 2), np.float32)
            for i in np.unique(g["E"]):
                init[g["E"] == i] = self._transform(nodes[g["E"] == i], int(i))
            pinned = np.isin(g["E"], [self.epochs_.index(e) for e in held])
        a, b = self._ab()
        samples = np.where(g["node_src"][:, 2] == 0, g["node_src"][:, 1], -1)
        positions = graph_layout(nodes, g["E"], samples, g["rows"], g["cols"], g["weights"], a=a, b=b,
                                 # an incremental build starts from the fitted map: a quarter of the epochs
                                 n_epochs=max(1, self.layout_ // 4) if init is not None else self.layout_,
                                 local_negatives=self.local_negatives, refine_alpha=self.refine_alpha or 0.0,
                                 refine=np.intersect1d([self.epochs_.index(e) for e in self.keyframes_], g["E"]),
                                 negative_rate=self.negative_rate, seed=self.seed, start=init,
                                 scale=self.layout_scale_, held=pinned)
        if init is None:  # a frame of unit spread, where the regression's learning rate suits
            self.layout_scale_ = float(positions.std())
            positions = (positions - positions.mean(0)) / self.layout_scale_
        if path is not None:
            save_npz(path, positions=positions, scale=self.layout_scale_ or 0.0)
        return positions

    def add_epochs(self, stats):
        """Serve more epochs: stats {epoch: (mean (D,), scale)} standardise each; until they are
        trained (fit_more), their embedding is the nearest keyframe's."""
        new = sorted(set(int(e) for e in stats) - set(self.epochs_))
        if not new:
            return self
        epochs = sorted(self.epochs_ + new)
        device = self.model_.mean.device
        old = self.model_.cpu()
        model = VisModel(self.dim_, self.hidden, n_epochs=len(epochs), epoch_dim=self.epoch_dim)
        keep = {k: v for k, v in old.state_dict().items()
                if not k.startswith(("mean", "scale", "epoch_embedding", "mix"))}
        model.load_state_dict(keep, strict=False)
        src = torch.as_tensor([self.epochs_.index(e) if e in self.epochs_ else -1 for e in epochs])
        with torch.no_grad():
            have = src >= 0
            model.mean[have], model.scale[have] = old.mean[src[have]], old.scale[src[have]]
            for j, e in enumerate(epochs):
                if e in stats and e not in self.epochs_:
                    model.mean[j] = torch.as_tensor(np.asarray(stats[e][0], np.float32))
                    model.scale[j] = float(stats[e][1])
            if self.epoch_dim:  # new epochs start from the last keyframe's row
                last = old.epoch_embedding.weight[self.epochs_.index(max(self.keyframes_))]
                model.epoch_embedding.weight[:] = last
                model.epoch_embedding.weight[have] = old.epoch_embedding.weight[src[have]]
        self.model_, self.epochs_ = model.to(device).eval(), epochs
        self._set_mix()
        return self

    def _set_mix(self):
        """The epoch embedding as a continuous function of time: keyframes have their own rows, every
        other epoch the linear interpolation of the keyframes around it (the nearest beyond either end),
        so training on any epoch moves the keyframes' rows and positions change smoothly over time."""
        if not self.epoch_dim:
            return
        key = sorted(self.keyframes_)
        row = {e: j for j, e in enumerate(self.epochs_)}
        mix = torch.zeros(len(self.epochs_), len(self.epochs_))
        for j, e in enumerate(self.epochs_):
            hi = int(np.searchsorted(key, e))
            if hi == len(key) or hi == 0 or key[hi] == e:  # a keyframe, or beyond the ends: that keyframe
                mix[j, row[key[min(hi, len(key) - 1)]]] = 1.0
                continue
            a, b = key[hi - 1], key[hi]
            mix[j, row[a]], mix[j, row[b]] = (b - e) / (b - a), (e - a) / (b - a)
        self.model_.mix.copy_(mix)

    def _model_for(self, i):
        return self.model_, i

    def _state(self):
        placed = sorted(self.placed_)
        counts = [len(self.placed_[e][0]) for e in placed]
        shown = {"placed.epochs": torch.as_tensor(np.repeat(np.asarray(placed, np.int64), counts), dtype=torch.long),
                 "placed.ids": torch.as_tensor(np.concatenate([self.placed_[e][0] for e in placed] or [[]]),
                                               dtype=torch.long),
                 "placed.positions": torch.as_tensor(np.concatenate([self.placed_[e][1] for e in placed]
                                                                    or [np.empty((0, 2))]), dtype=torch.float32)}
        return {**self.model_.state_dict(), **shown}, {"history": self.history_, "graph_size": self.graph_size_,
                                                       "keyframes": self.keyframes_, "layout_epochs": self.layout_,
                                                       "layout_scale": self.layout_scale_,
                                                       "temporal_weight": self.temporal_weight_}

    def _load_state(self, state, meta):
        self.model_ = VisModel(self.dim_, self.hidden, n_epochs=len(self.epochs_), epoch_dim=self.epoch_dim)
        self.keyframes_ = [int(e) for e in meta.get("keyframes", self.epochs_)]
        self.layout_ = meta.get("layout_epochs", self._layout_epochs())  # saved before the choice was kept
        self.layout_scale_ = meta.get("layout_scale")  # saved before it was kept: extensions start boxed
        self.temporal_weight_ = meta.get("temporal_weight", self._temporal_weight(False))  # saved before: 1.5
        state = dict(state)
        epochs, ids, positions = (state.pop(f"placed.{k}", None) for k in ("epochs", "ids", "positions"))
        self.placed_ = {}  # saved before samples were shown at their layout positions: none placed
        if epochs is not None:
            for e in torch.unique(epochs).tolist():
                m = (epochs == e).numpy()
                self.placed_[int(e)] = (ids.numpy()[m], positions.numpy()[m])
        if self.epoch_dim and "mix" not in state:  # saved before embeddings were interpolated: each its own
            state = {**state, "mix": torch.eye(len(self.epochs_))}
        self.model_.load_state_dict(state)
        self.model_.eval()
        self.history_, self.graph_size_ = meta.get("history", []), meta.get("graph_size", {})


def _gather_nodes(node_src, epochs, X, boundary):
    """Node features from (epoch index, row, is_boundary) triples."""
    out = np.empty((len(node_src), next(iter(X.values())).shape[1]), np.float32)
    for e in X:
        i = epochs.index(e)
        for is_b, src in ((0, X[e]), (1, None if boundary is None else boundary.get(e))):
            m = (node_src[:, 0] == i) & (node_src[:, 2] == is_b)
            if m.any():
                out[m] = np.asarray(src, np.float32)[node_src[m, 1]]
    return out
