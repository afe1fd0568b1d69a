"""LeNet (d2l's chapter 7.6) on real handwritten digits, with `import chainrule as torch`.

The data is scikit-learn's 8x8 digits (1797 images, bundled with scikit-learn: nothing is
downloaded; pip install chainrule[examples]). LeNet was drawn for 28x28 images: its first
convolution pads by 2 and keeps the size, each pooling halves it, and its second 5x5
convolution needs at least 5x5 to see. So the 8x8 digits are upsampled to 28x28 by
repeating each pixel (``repeat_interleave`` 3x3 gives 24x24, then 2 pixels of zero
padding on each side, as MNIST's digits sit inside a margin), and the network is d2l's
LeNet's layers with the modernization d2l's exercise asks for, ReLU and max pooling
(``--sigmoid``: the original sigmoids and average pooling, which on 1437 training images
leave their plateau slowly and land at 93-98% depending on the split; with plain SGD, as
in d2l, PyTorch's own LeNet stays at chance here for 20 epochs). It is trained with Adam on
cross-entropy, the rate annealed along a half cosine; the last line gives the test
accuracy: 98.6% on the default split in about 10 s on 2 cores (97-99% on other seeds'
splits of only 359 test images, where one image is 0.3%).

    python examples/lenet_digits.py [--epochs 30] [--lr 0.003] [--seed 0] [--sigmoid]
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import chainrule as torch
from chainrule import nn


def _digits_module():
    # the loader and the training loop of the MLP example, beside this file
    path = Path(__file__).resolve().parent / "mlp_digits.py"
    spec = importlib.util.spec_from_file_location("mlp_digits", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def as_images(X):
    """(n, 64) pixels as (n, 1, 28, 28) LeNet inputs: each pixel 3x3, a 2-pixel margin."""
    x = X.reshape(-1, 1, 8, 8).repeat_interleave(3, dim=2).repeat_interleave(3, dim=3)
    return nn.functional.pad(x, (2, 2, 2, 2))


def lenet(modern: bool = False) -> nn.Module:
    """d2l's LeNet: conv(6, 5x5, pad 2)-sigmoid-avgpool, conv(16, 5x5)-sigmoid-avgpool,
    dense 120-84-10 with sigmoids; ``modern``: ReLU and max pooling instead (d2l's exercise)."""
    act = nn.ReLU if modern else nn.Sigmoid
    pool = nn.MaxPool2d if modern else nn.AvgPool2d
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2),
        act(),
        pool(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5),
        act(),
        pool(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        act(),
        nn.Linear(120, 84),
        act(),
        nn.Linear(84, 10),
    )


def train(net, train_set, test_set, epochs, lr, batch_size, digits):
    """Minibatch Adam on cross-entropy, the rate annealed along a half cosine to 0 over the
    epochs; returns each epoch's mean training loss."""
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(*train_set), batch_size, shuffle=True
    )
    trainer = torch.optim.Adam(net.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(trainer, T_max=epochs)
    losses = []
    for epoch in range(epochs):
        total, count = 0.0, 0
        for X, y in loader:
            loss = nn.functional.cross_entropy(net(X), y)
            trainer.zero_grad()
            loss.backward()
            trainer.step()
            total += loss.item() * len(y)
            count += len(y)
        schedule.step()
        losses.append(total / count)
        print(
            f"  epoch {epoch + 1:2d}, loss {losses[-1]:.4f}, "
            f"test acc {digits.accuracy(net, *test_set):.3f}"
        )
    return losses


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.003)
    parser.add_argument("--limit", type=int, default=None, help="use only this many images")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--sigmoid", action="store_true", help="d2l's original sigmoids and average pooling"
    )
    args = parser.parse_args(argv)

    digits = _digits_module()
    torch.manual_seed(args.seed)
    (Xtr, ytr), (Xte, yte) = digits.load_digits(args.limit, seed=args.seed)
    train_set, test_set = (as_images(Xtr), ytr), (as_images(Xte), yte)
    print(f"{len(ytr)} training and {len(yte)} test images, upsampled to 1x28x28")
    net = lenet(modern=not args.sigmoid)
    print(net)
    start = time.perf_counter()
    losses = train(net, train_set, test_set, args.epochs, args.lr, args.batch_size, digits)
    seconds = time.perf_counter() - start
    acc = digits.accuracy(net, *test_set)
    print(f"trained in {seconds:.1f} s")
    print(f"LeNet test accuracy: {acc:.3f}")
    return {"accuracy": acc, "losses": losses, "seconds": seconds}


if __name__ == "__main__":
    main()
