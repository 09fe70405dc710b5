"""Classify MNIST digits with an LSTM that reads each image one row at a time.

A 28x28 image is a sequence of 28 steps of 28 pixels.  A 2-layer LSTM reads the
rows top to bottom (``batch_first``: input ``(batch, 28, 28)``), and a Linear
layer turns its last hidden state into 10 class scores.  Three epochs reach
about 99% on the 10,000 test images, on a CPU.

    python examples/mnist_lstm.py                      # lstm, 3 epochs
    python examples/mnist_lstm.py --model gru --bidirectional
    python examples/mnist_lstm.py --epochs 5 --resume  # go on from mnist_lstm.ckpt

The MNIST files are read from ``--data-dir`` (default: $MINIGRAD_MNIST_DIR, or
``../shared/data/mnist`` beside the repository); ``--download`` fetches them.
After every epoch the model, optimizer and scheduler are saved to
``--checkpoint``, and from the second epoch on the loss and accuracy curves are
drawn to ``--plot`` when matplotlib is installed (``pip install -e '.[plot]'``
in the checkout).
"""
import argparse
import os
import pathlib
import time

import minigrad
from minigrad import nn
from minigrad.data import MNIST
from minigrad.data.mnist import SHA256 as MNIST_FILES, cache_directory as mnist_cache_directory
from minigrad.utils.data import DataLoader, TensorDataset

from _progress import progress

REPO = pathlib.Path(__file__).resolve().parent.parent
FAST_NOTE = ("--fast: 512 images and one epoch, to check that the script runs; its accuracy means "
             "nothing (the full run reaches about 99% in 3 epochs)")
MEAN, STD = 0.1307, 0.3081      # of the training pixels in [0, 1], as the tutorials normalize


def default_data_dir():
    return os.environ.get("MINIGRAD_MNIST_DIR", str(REPO.parent / "shared" / "data" / "mnist"))


class RowClassifier(nn.Module):
    """``(batch, 28, 28)`` images, read row by row, to ``(batch, 10)`` class scores."""

    def __init__(self, kind="lstm", hidden_size=128, num_layers=2, bidirectional=False):
        super().__init__()
        recurrent = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
        self.rnn = recurrent(28, hidden_size, num_layers=num_layers, batch_first=True,
                             bidirectional=bidirectional)
        self.fc = nn.Linear(hidden_size * (2 if bidirectional else 1), 10)

    def forward(self, images):                 # (batch, 28 rows, 28 pixels)
        _, hidden = self.rnn(images)
        h_n = hidden[0] if isinstance(hidden, tuple) else hidden   # the LSTM gives (h_n, c_n)
        # h_n is (num_layers * directions, batch, hidden), layer-major: its last one
        # (or two, bidirectional: forward then backward) rows are the top layer's
        # final states, each a summary of all 28 rows read in its direction.
        directions = 2 if self.rnn.bidirectional else 1
        summary = minigrad.cat(list(h_n[-directions:]), dim=1)   # (batch, directions * hidden)
        return self.fc(summary)                # (batch, 10)


def load_split(root, train, limit, download):
    """Images ``(N, 28, 28)`` float32, normalized, and labels ``(N,)`` int64."""
    try:
        dataset = MNIST(root, train=train, download=download)
    except RuntimeError as error:
        if download or "not found" not in str(error):
            raise
        raise SystemExit(missing_data_message(root)) from None
    images, labels = dataset.data, dataset.targets
    if limit:
        images, labels = images[:limit], labels[:limit]
    return (images.float() / 255 - MEAN) / STD, labels.long()


def missing_data_message(root):
    """What to do when MNIST is not where the script looked: in the script's own options."""
    where = (f"{root} does not exist" if not os.path.isdir(root)
             else f"{root} does not hold all four IDX files")
    return (f"mnist_lstm.py: MNIST not found: {where}, and the download cache "
            f"{mnist_cache_directory()} does not have them either.\n"
            f"Run again with --download to fetch them (about 11 MB, checksummed) into "
            f"{mnist_cache_directory()}, or point --data-dir (or $MINIGRAD_MNIST_DIR) at a folder "
            f"holding {', '.join(MNIST_FILES)} (gzipped or not).")


def train_epoch(model, loader, optimizer, scheduler, criterion, device, epoch):
    """One pass over the training set; returns the mean loss."""
    model.train()
    total_loss, seen = 0.0, 0
    bar = progress(loader, desc=f"epoch {epoch}")
    for images, labels in bar:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        # LSTMs on 28-step sequences occasionally see a gradient spike; clipping keeps Adam calm.
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        scheduler.step()                       # OneCycleLR steps once per batch
        total_loss += loss.item() * len(labels)
        seen += len(labels)
        bar.set_postfix(loss=f"{total_loss / seen:.4f}", lr=f"{scheduler.get_last_lr()[0]:.2e}",
                        refresh=False)
    return total_loss / seen


def evaluate(model, loader, criterion, device):
    """Mean loss and accuracy (%) over ``loader``."""
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    with minigrad.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            scores = model(images)
            total_loss += criterion(scores, labels).item() * len(labels)
            correct += (scores.argmax(dim=1) == labels).sum().item()
            seen += len(labels)
    return total_loss / seen, 100.0 * correct / seen


def one_cycle(optimizer, max_lr, epochs, steps_per_epoch):
    """Warm up to ``max_lr`` over the first 30% of the steps, then anneal to almost 0."""
    return minigrad.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, epochs=epochs,
                                                  steps_per_epoch=steps_per_epoch)


def save_checkpoint(path, model, optimizer, scheduler, epoch, planned_epochs, history):
    minigrad.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                   "scheduler": scheduler.state_dict(), "epoch": epoch,
                   "planned_epochs": planned_epochs, "history": history}, path)


def resume(path, model, optimizer, scheduler, args, steps_per_epoch):
    """Load a checkpoint into model, optimizer and schedule; return (history, last epoch done, scheduler)."""
    if not os.path.exists(path):
        raise SystemExit(f"mnist_lstm.py: --resume found no checkpoint at {path}: a run writes one there "
                         f"after every epoch (--checkpoint names the file). Leave out --resume to start afresh.")
    checkpoint = minigrad.load(path)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    done = checkpoint["epoch"]
    if checkpoint["planned_epochs"] == args.epochs:
        scheduler.load_state_dict(checkpoint["scheduler"])     # carry on where the run stopped
        print(f"resumed from {path} after epoch {done}")
    elif args.epochs > done:
        # The finished schedule cannot be stretched: start a new cycle over the remaining epochs.
        scheduler = one_cycle(optimizer, args.lr, args.epochs - done, steps_per_epoch)
        print(f"resumed from {path} after epoch {done}, with a new one-cycle schedule "
              f"for epochs {done + 1}-{args.epochs}")
    return checkpoint["history"], done, scheduler


def plot_curves(path, history):
    """Loss and accuracy per epoch, side by side, as a PNG; None (and the reason) when there is no plot."""
    epochs = range(1, len(history["train_loss"]) + 1)
    if len(epochs) < 2:
        return None, "curves need two epochs or more"
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as pyplot
    except ImportError:
        return None, "matplotlib is not installed (pip install -e '.[plot]' in the checkout)"
    figure, (loss_axes, accuracy_axes) = pyplot.subplots(1, 2, figsize=(9, 3.5))
    loss_axes.plot(epochs, history["train_loss"], "o-", label="train")
    loss_axes.plot(epochs, history["test_loss"], "o-", label="test")
    loss_axes.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    loss_axes.legend()
    accuracy = history["test_accuracy"]
    accuracy_axes.plot(epochs, accuracy, "o-", color="tab:green")
    accuracy_axes.set(xlabel="epoch", ylabel="accuracy (%)", title="test accuracy")
    accuracy_axes.set_ylim(*accuracy_limits(accuracy))
    for axes in (loss_axes, accuracy_axes):
        axes.set_xticks(list(epochs))
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return path, None


def accuracy_limits(accuracy):
    """The accuracy axis: a margin around the points, but never below 0 or above 100 %."""
    margin = max(0.5, 0.1 * (max(accuracy) - min(accuracy)))
    return max(0.0, min(accuracy) - margin), min(100.0, max(accuracy) + margin)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, help="default 3 (1 with --fast)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=default_data_dir(), help="folder with the four MNIST IDX files")
    parser.add_argument("--download", action="store_true", help="fetch MNIST if it is not in --data-dir")
    parser.add_argument("--fast", action="store_true", help="512 training and 512 test images, 1 epoch")
    parser.add_argument("--model", default="lstm", choices=["lstm", "gru", "rnn"])
    parser.add_argument("--bidirectional", action="store_true")
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.005, help="peak learning rate of the one-cycle schedule")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N images of each split")
    parser.add_argument("--checkpoint", default="mnist_lstm.ckpt", help="saved after every epoch")
    parser.add_argument("--resume", action="store_true", help="go on from --checkpoint")
    parser.add_argument("--plot", default="mnist_lstm.png", help="loss/accuracy curves (needs matplotlib)")
    args = parser.parse_args(argv)
    if args.fast:
        args.limit = args.limit or 512
    args.epochs = args.epochs or (1 if args.fast else 3)
    return args


def main(argv=None):
    args = parse_args(argv)
    minigrad.manual_seed(args.seed)
    train_images, train_labels = load_split(args.data_dir, True, args.limit, args.download)
    test_images, test_labels = load_split(args.data_dir, False, args.limit, args.download)
    train_loader = DataLoader(TensorDataset(train_images, train_labels), batch_size=args.batch_size,
                              shuffle=True)
    test_loader = DataLoader(TensorDataset(test_images, test_labels), batch_size=1000)

    model = RowClassifier(args.model, args.hidden_size, args.layers, args.bidirectional).to(args.device)
    optimizer = minigrad.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = one_cycle(optimizer, args.lr, args.epochs, len(train_loader))
    criterion = nn.CrossEntropyLoss()
    history = {"train_loss": [], "test_loss": [], "test_accuracy": [], "seconds": []}
    done = 0
    if args.resume:
        history, done, scheduler = resume(args.checkpoint, model, optimizer, scheduler, args,
                                          len(train_loader))

    if args.fast:
        print(FAST_NOTE)
    print(model)
    print(f"{len(train_images)} training and {len(test_images)} test images, batch {args.batch_size}, "
          f"{sum(p.numel() for p in model.parameters())} parameters, device {args.device}")
    for epoch in range(done + 1, args.epochs + 1):
        start = time.perf_counter()
        train_loss = train_epoch(model, train_loader, optimizer, scheduler, criterion, args.device, epoch)
        seconds = time.perf_counter() - start
        test_loss, accuracy = evaluate(model, test_loader, criterion, args.device)
        for name, value in zip(history, (train_loss, test_loss, accuracy, seconds)):
            history[name].append(value)
        print(f"epoch {epoch}  train loss {train_loss:.4f}  test loss {test_loss:.4f}  "
              f"test accuracy {accuracy:.2f}%  ({seconds:.1f} s training)", flush=True)
        save_checkpoint(args.checkpoint, model, optimizer, scheduler, epoch, args.epochs, history)
        plotted, no_plot_because = plot_curves(args.plot, history)
        print(f"  checkpoint in {args.checkpoint}; "
              + (f"curves in {plotted}" if plotted else f"no curves: {no_plot_because}"))
    if history["test_accuracy"]:
        seconds = history["seconds"]
        print(f"test accuracy {history['test_accuracy'][-1]:.2f}% after {len(seconds)} epochs, "
              f"{sum(seconds) / len(seconds):.1f} s of training per epoch")
    if args.fast:
        print(FAST_NOTE)
    return history


if __name__ == "__main__":
    main()
