"""DeepVisualInsight: one encoder/decoder per epoch, trained in order, each warm-started from the
previous epoch's and held near it by the temporal penalty lambda * NPR * ||W_t - W_{t-1}||^2, where NPR
is the share of each sample's kNN set that survives from t-1 to t."""

import numpy as np
import torch

from ttvis import statefile
from ttvis.visualize import losses
from ttvis.visualize.networks import VisModel
from ttvis.visualize.parametric import COMMON_DEFAULTS, ParametricProjector
from ttvis.visualize.projector import register
from ttvis.visualize.graph import neighbourhood_overlap


@register
class DVI(ParametricProjector):
    name = "dvi"
    cost, preference = 4, 1
    defaults = {**COMMON_DEFAULTS,
                "temporal_penalty": 1.0}   # lambda of the parameter-drift term

    def _validate_params(self):
        super()._validate_params()
        self._check_float("temporal_penalty", 0.0)

    def _fit(self, X, *, heads, boundary, checkpoint_dir, progress):
        if checkpoint_dir is not None:
            checkpoint_dir.mkdir(parents=True, exist_ok=True)
        self.models_, self.history_, self.npr_ = [], [], []
        prev_model, prev_knn = None, None
        T = len(self.epochs_)
        for i, e in enumerate(self.epochs_):
            done = checkpoint_dir / f"model_epoch_{e}.pt" if checkpoint_dir is not None else None
            x = X[e]  # read once: X may stream epochs from disk
            Bt = None if boundary is None or boundary.get(e) is None else np.asarray(boundary[e], np.float32)
            rows, cols, w, sknn = self._epoch_graph(x, Bt, self.seed + i)
            npr = float(neighbourhood_overlap(prev_knn, sknn).mean()) if prev_knn is not None else 0.0
            mean, scale = self._stats(x)
            torch.manual_seed(self.seed + i)
            model = VisModel(self.dim_, self.hidden)
            if prev_model is not None:
                model.load_state_dict(prev_model.state_dict())
            model.mean.copy_(torch.from_numpy(mean)[None])
            model.scale.fill_(scale)
            if done is not None and done.is_file():
                saved = statefile.read(done, "trained epoch model")
                model.load_state_dict(saved["model"])
                history = saved["history"]
            else:
                penalty = None
                if prev_model is not None and self.temporal_penalty > 0:
                    anchor = {k: v.detach().clone() for k, v in prev_model.named_parameters()}
                    weight = self.temporal_penalty * npr
                    penalty = lambda m, anchor=anchor, weight=weight: losses.parameter_drift(m, anchor, weight)  # noqa: E731
                nodes = x if Bt is None else np.concatenate([x, Bt])
                trainer = self._trainer(model, nodes, np.zeros(len(nodes), np.int64), rows, cols, w,
                                        None if heads is None else [heads[e]], self.seed + i, penalty=penalty)

                def on_pass(p, total, loss, i=i):
                    if progress:
                        progress((i + p / total) / T, f"epoch {e}: pass {p}/{total}, loss {loss:.4f}")
                live = checkpoint_dir / f"trainer_epoch_{e}.pt" if checkpoint_dir is not None else None
                history = trainer.fit(live, on_pass)
                model = trainer.model.cpu()
                if done is not None:
                    statefile.write(done, {"model": model.state_dict(), "history": history})
                    live.unlink(missing_ok=True)
            model.eval()
            self.models_.append(model)
            self.history_.append(history)
            self.npr_.append(npr)
            prev_model, prev_knn = model, sknn

    def _model_for(self, i):
        return self.models_[i], 0

    def _state(self):
        state = {}
        for i, m in enumerate(self.models_):
            state.update({f"epoch{i}.{k}": v for k, v in m.state_dict().items()})
        return state, {"history": self.history_, "npr": self.npr_}

    def _load_state(self, state, meta):
        self.models_ = []
        for i in range(len(self.epochs_)):
            m = VisModel(self.dim_, self.hidden)
            m.load_state_dict({k.split(".", 1)[1]: v for k, v in state.items() if k.startswith(f"epoch{i}.")})
            self.models_.append(m.eval())
        self.history_, self.npr_ = meta.get("history", []), meta.get("npr", [])
