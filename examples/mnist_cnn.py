"""Classify MNIST digits with a small convolutional network (the pytorch/examples MNIST net).

Two 3x3 convolutions (32 then 64 channels, ReLU) turn a 28x28 image into 64 maps
of 24x24; a 2x2 max-pool halves them to 12x12; two Linear layers (9216 -> 128 ->
10, dropout between) give the class scores.  Two epochs of Adam with a one-cycle
learning rate reach about 99% on the 10,000 test images, on a CPU.

    python examples/mnist_cnn.py                       # 2 epochs
    python examples/mnist_cnn.py --epochs 4 --resume   # go on from mnist_cnn.ckpt

The options, data, checkpoint and plot are mnist_lstm.py's (its helpers are reused):
the MNIST files are read from ``--data-dir`` (default: $MINIGRAD_MNIST_DIR, or
``../shared/data/mnist`` beside the repository); after every epoch the model,
optimizer and scheduler are saved to ``--checkpoint`` and the curves drawn to
``--plot`` when matplotlib is installed.
"""
import argparse
import time

import minigrad
from minigrad import nn
from minigrad.utils.data import DataLoader, TensorDataset

from _progress import progress
from mnist_lstm import default_data_dir, evaluate, load_split, one_cycle, plot_curves, resume, save_checkpoint


class ConvNet(nn.Module):
    """``(batch, 1, 28, 28)`` (or ``(batch, 28, 28)``) images to ``(batch, 10)`` class log-probabilities."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)          # -> (batch, 32, 26, 26)
        self.conv2 = nn.Conv2d(32, 64, 3)         # -> (batch, 64, 24, 24)
        self.pool = nn.MaxPool2d(2)               # -> (batch, 64, 12, 12)
        self.dropout1 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(64 * 12 * 12, 128)
        self.dropout2 = nn.Dropout(0.5)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, images):
        if images.dim() == 3:                     # the loaders give (batch, 28, 28): one input channel
            images = images.unsqueeze(1)
        x = self.pool(self.conv2(self.conv1(images).relu()).relu())
        x = self.dropout1(x).flatten(1)           # (batch, 9216)
        x = self.dropout2(self.fc1(x).relu())
        return nn.functional.log_softmax(self.fc2(x), dim=1)


def train_epoch(model, loader, optimizer, scheduler, device, epoch):
    """One pass over the training set; returns the mean loss."""
    model.train()
    total_loss, seen = 0.0, 0
    bar = progress(loader, desc=f"epoch {epoch}")
    for images, labels in bar:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        loss = nn.functional.nll_loss(model(images), labels)
        loss.backward()
        optimizer.step()
        scheduler.step()                           # OneCycleLR steps once per batch
        total_loss += loss.item() * len(labels)
        seen += len(labels)
        bar.set_postfix(loss=f"{total_loss / seen:.4f}", lr=f"{scheduler.get_last_lr()[0]:.2e}", refresh=False)
    return total_loss / seen


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, help="default 2 (1 with --fast)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=default_data_dir(), help="folder with the four MNIST IDX files")
    parser.add_argument("--download", action="store_true", help="fetch MNIST if it is not in --data-dir")
    parser.add_argument("--fast", action="store_true", help="512 training and 512 test images, 1 epoch")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.002, help="peak learning rate of the one-cycle schedule")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N images of each split")
    parser.add_argument("--checkpoint", default="mnist_cnn.ckpt", help="saved after every epoch")
    parser.add_argument("--resume", action="store_true", help="go on from --checkpoint")
    parser.add_argument("--plot", default="mnist_cnn.png", help="loss/accuracy curves (needs matplotlib)")
    args = parser.parse_args(argv)
    if args.fast:
        args.limit = args.limit or 512
    args.epochs = args.epochs or (1 if args.fast else 2)
    return args


def main(argv=None):
    args = parse_args(argv)
    minigrad.manual_seed(args.seed)
    train_images, train_labels = load_split(args.data_dir, True, args.limit, args.download)
    test_images, test_labels = load_split(args.data_dir, False, args.limit, args.download)
    train_loader = DataLoader(TensorDataset(train_images, train_labels), batch_size=args.batch_size,
                              shuffle=True)
    # evaluation batches stay small: the 3x3 columns of conv2 take 288 floats per output pixel
    test_loader = DataLoader(TensorDataset(test_images, test_labels), batch_size=250)

    model = ConvNet().to(args.device)
    optimizer = minigrad.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = one_cycle(optimizer, args.lr, args.epochs, len(train_loader))
    history = {"train_loss": [], "test_loss": [], "test_accuracy": [], "seconds": []}
    done = 0
    if args.resume:
        history, done, scheduler = resume(args.checkpoint, model, optimizer, scheduler, args, len(train_loader))

    print(model)
    print(f"{len(train_images)} training and {len(test_images)} test images, batch {args.batch_size}, "
          f"{sum(p.numel() for p in model.parameters())} parameters, device {args.device}")
    for epoch in range(done + 1, args.epochs + 1):
        start = time.perf_counter()
        train_loss = train_epoch(model, train_loader, optimizer, scheduler, args.device, epoch)
        seconds = time.perf_counter() - start
        test_loss, accuracy = evaluate(model, test_loader, nn.NLLLoss(), args.device)
        for name, value in zip(history, (train_loss, test_loss, accuracy, seconds)):
            history[name].append(value)
        print(f"epoch {epoch}  train loss {train_loss:.4f}  test loss {test_loss:.4f}  "
              f"test accuracy {accuracy:.2f}%  ({seconds:.1f} s training)", flush=True)
        save_checkpoint(args.checkpoint, model, optimizer, scheduler, epoch, args.epochs, history)
        if plot_curves(args.plot, history):
            print(f"  curves in {args.plot}, checkpoint in {args.checkpoint}")
    if history["test_accuracy"]:
        seconds = history["seconds"]
        print(f"test accuracy {history['test_accuracy'][-1]:.2f}% after {len(seconds)} epochs, "
              f"{sum(seconds) / len(seconds):.1f} s of training per epoch")
    return history


if __name__ == "__main__":
    main()
