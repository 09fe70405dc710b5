"""Forecast a noisy sine wave: an RNN reads a window of past values, predicts the next few.

The series is sin(2 pi t / period) plus Gaussian noise.  Every window of
``--window`` past values is an input sequence ``(window, 1)``; the target is
the ``--horizon`` values that follow.  The model is ``nn.RNN`` (or
``--model lstm|gru``) whose last hidden state goes through a ``Linear`` layer
to the ``horizon`` predictions.  Training uses the first 80% of the series and
the error is measured on the rest, next to two yardsticks: repeating the last
seen value, and the noise itself (no forecast can beat the noise).

    python examples/timeseries.py --plot timeseries.png
"""
import argparse
import math
import time

import numpy

import minigrad as torch
from minigrad import nn
from minigrad.utils.data import DataLoader, TensorDataset

from _progress import progress


def noisy_sine(length, period, noise, rng):
    """``(length,)`` float32: a sine with ``period`` steps per cycle, plus N(0, noise^2)."""
    clean = numpy.sin(2 * math.pi * numpy.arange(length) / period)
    return (clean + rng.normal(0.0, noise, size=length)).astype(numpy.float32), clean.astype(numpy.float32)


def windows(series, window, horizon):
    """Inputs ``(N, window, 1)`` and targets ``(N, horizon)``: every cut of the series."""
    count = len(series) - window - horizon + 1
    inputs = numpy.stack([series[start:start + window] for start in range(count)])
    targets = numpy.stack([series[start + window:start + window + horizon] for start in range(count)])
    return torch.tensor(inputs).unsqueeze(-1), torch.tensor(targets)


class Forecaster(nn.Module):
    """A recurrent layer over the window, a Linear layer from its last state to the forecast."""

    def __init__(self, kind="rnn", hidden_size=32, horizon=5, num_layers=1):
        super().__init__()
        recurrent = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
        self.rnn = recurrent(1, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, horizon)

    def forward(self, window):                 # (batch, window, 1)
        output, _ = self.rnn(window)           # (batch, window, hidden)
        return self.head(output[:, -1])        # (batch, horizon): from the last step's state


def evaluate(model, inputs, targets, device):
    """Mean squared error of the forecasts, and the forecasts ``(N, horizon)``."""
    model.eval()
    with torch.no_grad():
        predictions = model(inputs.to(device)).cpu()
    model.train()
    return ((predictions - targets) ** 2).mean().item(), predictions


def plot(path, series, clean, predictions, split, window, horizon):
    """Truth against the one-step-ahead forecast over the test part (needs matplotlib)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as pyplot
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[plot]' in the minigrad checkout): no plot")
        return None
    first = split + window        # where the first test forecast lands
    steps = numpy.arange(first, first + len(predictions))
    figure, axes = pyplot.subplots(figsize=(10, 4))
    axes.plot(numpy.arange(len(series)), series, color="0.7", linewidth=0.8, label="noisy series")
    axes.plot(numpy.arange(len(clean)), clean, color="black", linewidth=1, label="sine without noise")
    axes.plot(steps, predictions[:, 0], color="tab:red", linewidth=1.2, label="forecast, 1 step ahead")
    axes.plot(steps + horizon - 1, predictions[:, -1], color="tab:blue", linewidth=1, alpha=0.8,
              label=f"forecast, {horizon} steps ahead")
    axes.axvline(split, color="0.4", linestyle="--", linewidth=0.8)
    axes.set_xlim(split - 2 * window, len(series))
    axes.set_xlabel("step (training data left of the dashed line, test data right of it)")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, 1.13), ncol=4, fontsize=8, frameon=False)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    pyplot.close(figure)
    print(f"plot written to {path}")
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fast", action="store_true", help="a short series and 2 epochs (seconds)")
    parser.add_argument("--model", default="rnn", choices=["rnn", "lstm", "gru"])
    parser.add_argument("--length", type=int, default=2000, help="points in the series")
    parser.add_argument("--period", type=float, default=50.0, help="steps per sine cycle")
    parser.add_argument("--noise", type=float, default=0.1, help="standard deviation of the noise")
    parser.add_argument("--window", type=int, default=40, help="past values the model reads")
    parser.add_argument("--horizon", type=int, default=5, help="future values it predicts")
    parser.add_argument("--hidden-size", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--plot", metavar="PNG", help="write truth vs forecast here (needs matplotlib)")
    args = parser.parse_args(argv)
    if args.fast:
        args.length, args.epochs = min(args.length, 400), min(args.epochs, 2)
    torch.manual_seed(args.seed)

    series, clean = noisy_sine(args.length, args.period, args.noise, numpy.random.default_rng(args.seed))
    split = int(0.8 * args.length)
    train_inputs, train_targets = windows(series[:split], args.window, args.horizon)
    test_inputs, test_targets = windows(series[split:], args.window, args.horizon)
    loader = DataLoader(TensorDataset(train_inputs, train_targets), batch_size=args.batch_size, shuffle=True)
    print(f"{len(train_inputs)} training windows, {len(test_inputs)} test windows: "
          f"input (batch, {args.window}, 1) -> forecast (batch, {args.horizon})")

    model = Forecaster(args.model, args.hidden_size, args.horizon).to(args.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    criterion = nn.MSELoss()
    for epoch in range(1, args.epochs + 1):
        start, total = time.perf_counter(), 0.0
        bar = progress(loader, desc=f"epoch {epoch}")
        for inputs, targets in bar:
            inputs, targets = inputs.to(args.device), targets.to(args.device)
            optimizer.zero_grad()
            loss = criterion(model(inputs), targets)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(inputs)
            bar.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
        test_error, _ = evaluate(model, test_inputs, test_targets, args.device)
        print(f"epoch {epoch:2d}  train mse {total / len(train_inputs):.4f}  test mse {test_error:.4f}  "
              f"({time.perf_counter() - start:.1f} s)")

    test_error, predictions = evaluate(model, test_inputs, test_targets, args.device)
    last_value = test_inputs[:, -1, :]                      # (N, 1), repeated over the horizon
    repeat_error = ((last_value - test_targets) ** 2).mean().item()
    print(f"test mse {test_error:.4f}   (repeat the last value: {repeat_error:.4f}; "
          f"the noise alone: {args.noise ** 2:.4f})")
    if args.plot:
        plot(args.plot, series, clean, predictions.numpy(), split, args.window, args.horizon)
    return {"test_mse": test_error, "repeat_last_mse": repeat_error, "noise_mse": args.noise ** 2}


if __name__ == "__main__":
    main()
