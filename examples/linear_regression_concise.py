"""Concise linear regression (d2l 3.3) with `import chainrule as torch`.

The same model as linear_regression_scratch.py, from the library's parts: a DataLoader
over a TensorDataset, nn.Linear in nn.Sequential, nn.MSELoss and optim.SGD.

    python examples/linear_regression_concise.py [--num-examples 1000] [--epochs 3]
"""

from __future__ import annotations

import argparse

import chainrule as torch
from chainrule import nn, optim
from chainrule.utils import data


def synthetic_data(w, b, num_examples):
    """y = Xw + b + noise, with X ~ N(0, 1) and noise ~ N(0, 0.01)."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def load_array(data_arrays, batch_size, is_train=True):
    """A DataLoader over tensors (shuffled when training)."""
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-examples", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    true_w = torch.tensor([2, -3.4])
    true_b = 4.2
    features, labels = synthetic_data(true_w, true_b, args.num_examples)
    data_iter = load_array((features, labels), args.batch_size)

    net = nn.Sequential(nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    loss = nn.MSELoss()
    trainer = optim.SGD(net.parameters(), lr=args.lr)
    print(net)

    for epoch in range(args.epochs):
        for X, y in data_iter:
            l = loss(net(X), y)
            trainer.zero_grad()
            l.backward()
            trainer.step()
        with torch.no_grad():
            l = loss(net(features), labels)
        print(f"epoch {epoch + 1}, loss {l:f}")

    w = net[0].weight.data
    b = net[0].bias.data
    w_error = true_w - w.reshape(true_w.shape)
    b_error = true_b - b
    print(f"error in estimating w: {w_error}")
    print(f"error in estimating b: {b_error}")
    return {"loss": float(l), "w_error": w_error.tolist(), "b_error": float(b_error)}


if __name__ == "__main__":
    main()
