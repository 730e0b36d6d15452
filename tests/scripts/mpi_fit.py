"""Run by tests/test_distribution_mpi.py as `python mpi_fit.py ...` (one process)
or under `mpiexec -n 2`: the same script, DataParallel on. Writes each process's
final weights, History and predictions to OUT.<rank>.npz.

usage: mpi_fit.py MODEL OUT [N] [--checkpoint DIR] [--fail-at-epoch E] [--kill-at-epoch E]
MODEL: dense | cnn | lstm | bn | dropout
"""
import argparse
import os
import signal
import sys

import numpy as np

import pynn

ap = argparse.ArgumentParser()
ap.add_argument("model")
ap.add_argument("out")
ap.add_argument("n", nargs="?", type=int, default=300)
ap.add_argument("--epochs", type=int, default=4)
ap.add_argument("--checkpoint")
ap.add_argument("--fail-at-epoch", type=int)
ap.add_argument("--kill-at-epoch", type=int)
ap.add_argument("--early-stopping", action="store_true")
ap.add_argument("--batch-size", type=int, default=64)
ap.add_argument("--dp", choices=["fixed", "poisson"])
ap.add_argument("--mismatch", action="store_true", help="process 1 builds a wider model")
ap.add_argument("--own-shard", action="store_true",
                help="no shuffling; under mpiexec each process passes rows with (i % 64) // 32 == rank")
args = ap.parse_args()

pynn.set_num_threads(1)
pynn.distribution.initialize()
pynn.distribution.set_distribution(pynn.distribution.DataParallel(
    auto_shard_dataset=not args.own_shard))
rank = pynn.distribution.process_id()

rng = np.random.default_rng(0)
layers = pynn.layers
if args.model == "dense":
    x = rng.normal(size=(args.n, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype("int64")
    inputs = [pynn.Input(shape=(8,)), layers.Dense(17 if args.mismatch and rank else 16,
                                                   activation="relu"),
              layers.Dense(2, activation="softmax")]
elif args.model == "cnn":
    x = rng.normal(size=(args.n, 8, 8, 1)).astype("float32")
    y = (x[:, :4].mean(axis=(1, 2, 3)) > 0).astype("int64")
    inputs = [pynn.Input(shape=(8, 8, 1)), layers.Conv2D(4, 3, activation="relu"),
              layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(2, activation="softmax")]
elif args.model == "lstm":
    x = rng.normal(size=(args.n, 6, 3)).astype("float32")
    y = (x[:, :, 0].sum(axis=1) > 0).astype("int64")
    inputs = [pynn.Input(shape=(6, 3)), layers.LSTM(8), layers.Dense(2, activation="softmax")]
elif args.model == "bn":
    x = rng.normal(size=(args.n, 8)).astype("float32") * 3 + 1
    y = (x[:, 0] > 1).astype("int64")
    inputs = [pynn.Input(shape=(8,)), layers.Dense(16), layers.BatchNormalization(),
              layers.Activation("relu"), layers.Dense(2, activation="softmax")]
elif args.model == "dropout":
    # rows 32-63 repeat rows 0-31: under mpiexec -n 2 (no shuffling) both processes
    # see the same rows, so only Dropout's masks can make their gradients differ
    x = np.tile(rng.normal(size=(32, 8)).astype("float32"), (2, 1))
    y = (x[:, 0] > 0).astype("int64")
    inputs = [pynn.Input(shape=(8,)), layers.Dense(16, activation="relu"), layers.Dropout(0.5),
              layers.Dense(2, activation="softmax")]
else:
    sys.exit(f"unknown model {args.model}")

pynn.set_seed(1 + rank)  # different initial weights per process: fit broadcasts process 0's
model = pynn.Sequential(inputs)
pynn.set_seed(1)  # the shuffling generator, also broadcast
# SGD sees a gradient's scale (a sum where a mean belongs would show); Adam mostly not
opt = pynn.optimizers.Adam(0.01) if args.model == "cnn" else pynn.optimizers.SGD(0.1, momentum=0.9)
if args.dp:  # DP-SGD around the same SGD; the key is drawn from pynn's generator (process 0's)
    opt = pynn.privacy.DPSGD(l2_norm_clip=1.0, noise_multiplier=1.1, optimizer=opt,
                             poisson_sampling=args.dp == "poisson")
model.compile(optimizer=opt, loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])


class Fault(pynn.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if rank == 1 and epoch == args.fail_at_epoch:
            raise ValueError("deliberate failure in a callback")
        if rank == 1 and epoch == args.kill_at_epoch:
            os.kill(os.getpid(), signal.SIGKILL)


cbs = [Fault()]
if args.checkpoint:  # a directory per process: only process 0's may be written
    where = os.path.join(args.checkpoint, f"process{rank}")
    os.makedirs(where, exist_ok=True)
    cbs.append(pynn.callbacks.ModelCheckpoint(os.path.join(where, "w-{epoch:02d}.weights.npz"),
                                              save_weights_only=True))
    cbs.append(pynn.callbacks.CSVLogger(os.path.join(where, "log.csv")))
if args.early_stopping:
    cbs.append(pynn.callbacks.EarlyStopping(monitor="val_loss", patience=1, min_delta=1e-2))
    cbs.append(pynn.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=0, factor=0.5,
                                                min_delta=1e-2))
split = int(args.n * 0.8)
xt, yt, xv, yv = x[:split], y[:split], x[split:], y[split:]
shuffle = not args.own_shard
if args.model == "dropout":  # one step, unshuffled; `N` 32: the first 32 rows only
    xt, yt, xv, yv = x[:args.n], y[:args.n], x, y
    args.batch_size, args.epochs, shuffle = len(xt), 1, False
if args.own_shard and pynn.distribution.num_processes() == 2:
    # the shards hold the same global batches as one process's unshuffled ones
    xt, yt = xt[(np.arange(split) % 64) // 32 == rank], yt[(np.arange(split) % 64) // 32 == rank]
    mine = np.arange(len(xv)) < 32 if rank == 0 else np.arange(len(xv)) >= 32
    xv, yv = xv[mine], yv[mine]
hist = model.fit(xt, yt, batch_size=args.batch_size, epochs=args.epochs, verbose=2,
                 validation_data=(xv, yv), callbacks=cbs, shuffle=shuffle)
ev = model.evaluate(xv, yv, batch_size=64, verbose=0, return_dict=True)
pred = model.predict(xv, batch_size=64, verbose=0)
np.savez(f"{args.out}.{rank}.npz", *[np.asarray(w) for w in model.get_weights()],
         pred=pred, lr=float(model.optimizer.learning_rate),
         steps=getattr(model.optimizer, "accountant", None) and model.optimizer.accountant.steps or 0,
         **{"h_" + k: np.asarray(v) for k, v in hist.history.items()},
         **{"e_" + k: np.asarray(v) for k, v in ev.items()})
print("done", rank, flush=True)
