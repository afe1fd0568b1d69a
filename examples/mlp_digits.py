"""Softmax regression and an MLP on real handwritten digits, with `import chainrule as torch`.

The data is scikit-learn's 8x8 digits (1797 images, bundled inside the scikit-learn
package, so nothing is downloaded): pip install chainrule[examples]. Each model is trained
with minibatch SGD and cross-entropy; the last lines give each model's test accuracy. With
matplotlib installed, the loss curves are saved as a PNG.

    python examples/mlp_digits.py [--epochs 10] [--plot digits_loss.png | --no-plot]
"""

from __future__ import annotations

import argparse

import chainrule as torch
from chainrule import nn, optim
from chainrule.utils import data


def load_digits(limit=None, test_fraction=0.2, seed=0):
    """The digits as float32 pixels in [0, 1] and int64 labels, split into train and test."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise SystemExit(
            "mlp_digits.py needs scikit-learn for its bundled digits: "
            "pip install chainrule[examples]"
        ) from None
    images, labels = sklearn_digits(return_X_y=True)
    X = torch.tensor(images / 16.0, dtype=torch.float32)
    y = torch.tensor(labels)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    if limit is not None:
        order = order[:limit]
    num_test = int(len(order) * test_fraction)
    test, train = order[:num_test], order[num_test:]
    return (X[train], y[train]), (X[test], y[test])


def accuracy(net, X, y):
    """Fraction of rows of X whose highest score is the right class."""
    with torch.no_grad():
        return float((net(X).argmax(dim=1) == y).float().mean())


def train(net, train_set, test_set, epochs, lr, batch_size, momentum=0.0):
    """Minibatch SGD on cross-entropy; returns the mean training loss of each epoch."""
    loader = data.DataLoader(data.TensorDataset(*train_set), batch_size, shuffle=True)
    loss = nn.CrossEntropyLoss()
    trainer = optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    losses = []
    for epoch in range(epochs):
        net.train()
        total, count = 0.0, 0
        for X, y in loader:
            l = loss(net(X), y)
            trainer.zero_grad()
            l.backward()
            trainer.step()
            total += l.item() * len(y)
            count += len(y)
        net.eval()
        losses.append(total / count)
        print(
            f"  epoch {epoch + 1:2d}, loss {losses[-1]:.4f}, "
            f"train acc {accuracy(net, *train_set):.3f}, test acc {accuracy(net, *test_set):.3f}"
        )
    return losses


def plot(curves, path):
    """Save the loss curves as a PNG if matplotlib is installed; returns whether it did."""
    try:
        from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state
    except ImportError:
        print("(matplotlib is not installed: no loss curve; pip install chainrule[examples])")
        return False
    figure = Figure(figsize=(5, 3.5))
    axes = figure.subplots()
    for name, losses in curves.items():
        axes.plot(range(1, len(losses) + 1), losses, marker="o", label=name)
    axes.set(xlabel="epoch", ylabel="training loss (cross-entropy)", yscale="log")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    print(f"loss curves saved to {path}")
    return True


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--limit", type=int, default=None, help="use only this many images")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default="digits_loss.png", help="where the PNG goes")
    parser.add_argument("--no-plot", dest="plot", action="store_const", const=None)
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    train_set, test_set = load_digits(args.limit, seed=args.seed)
    print(f"{len(train_set[1])} training and {len(test_set[1])} test images of 8x8 pixels")

    models = {
        "softmax regression": (nn.Sequential(nn.Linear(64, 10)), {"lr": 0.5}),
        "MLP": (
            nn.Sequential(nn.Linear(64, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 10)),
            {"lr": 0.1, "momentum": 0.9},
        ),
    }
    curves = {}
    for name, (net, settings) in models.items():
        print(f"{name}: {net}")
        curves[name] = train(
            net, train_set, test_set, args.epochs, batch_size=args.batch_size, **settings
        )
    if args.plot:
        plot(curves, args.plot)
    results = {name: accuracy(net, *test_set) for name, (net, _) in models.items()}
    for name, acc in results.items():
        print(f"{name} test accuracy: {acc:.3f}")
    return results


if __name__ == "__main__":
    main()
