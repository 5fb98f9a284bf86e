"""PyTorch Lightning: record every training epoch of a LightningModule into a run.

    from ttvis.integrations.lightning import Record
    trainer = Trainer(callbacks=[Record("training_dynamic/my_run", inputs=x, labels=y, split=is_test,
                                        classes=names, feature=lambda m, x: m.body(x), head=lambda m: m.fc)])

The arguments are those of ttvis.Recorder. Needs `pip install "ttvis[lightning]"`.
"""

try:
    from lightning.pytorch import Callback
except ImportError:  # the standalone package of older installs
    try:
        from pytorch_lightning import Callback
    except ImportError:
        raise ImportError('ttvis.integrations.lightning needs PyTorch Lightning: pip install "ttvis[lightning]"') from None

from ttvis.run.recorder import Recorder


class Record(Callback):
    """Writes epoch k (counting from 1) when Lightning's training epoch k ends, on the main process only.

    Training resumed from a Lightning checkpoint (fit(ckpt_path=...)) keeps the epochs the run already
    holds; a fresh fit into a run that has epochs stops with the Recorder's error instead of mixing runs."""

    def __init__(self, run_dir, **recorder_args):
        super().__init__()
        self.recorder = Recorder(run_dir, **recorder_args)

    def on_train_epoch_end(self, trainer, pl_module):
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        epoch = trainer.current_epoch + 1
        recorded = self.recorder.epochs
        if trainer.ckpt_path and recorded and epoch <= recorded[-1]:
            return
        self.recorder.record(pl_module, epoch)
