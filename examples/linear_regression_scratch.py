"""Linear regression from scratch (d2l 3.2) with `import chainrule as torch`.

Only tensors, autograd and a hand-written minibatch SGD under no_grad: synthetic data from
y = Xw + b + noise with w = [2, -3.4] and b = 4.2, then the recovered parameters.

    python examples/linear_regression_scratch.py [--num-examples 1000] [--epochs 3]
"""

from __future__ import annotations

import argparse

import chainrule as torch


def synthetic_data(w, b, num_examples):
    """y = Xw + b + noise, with X ~ N(0, 1) and noise ~ N(0, 0.01)."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def data_iter(batch_size, features, labels):
    """Minibatches of (features, labels) in a random order."""
    num_examples = len(features)
    indices = torch.randperm(num_examples)
    for i in range(0, num_examples, batch_size):
        batch_indices = indices[i : i + batch_size]
        yield features[batch_indices], labels[batch_indices]


def linreg(X, w, b):
    """The linear model."""
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    """Half the squared error, per example."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent, by hand."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


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
    print("features:", features[0], "\nlabel:", labels[0])

    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for epoch in range(args.epochs):
        for X, y in data_iter(args.batch_size, features, labels):
            loss = squared_loss(linreg(X, w, b), y)
            loss.sum().backward()  # the gradient of the minibatch's total loss
            sgd([w, b], args.lr, args.batch_size)
        with torch.no_grad():
            train_l = squared_loss(linreg(features, w, b), labels)
            print(f"epoch {epoch + 1}, loss {float(train_l.mean()):f}")

    w_error = true_w - w.detach().reshape(true_w.shape)
    b_error = true_b - b.detach()
    print(f"error in estimating w: {w_error}")
    print(f"error in estimating b: {b_error}")
    return {"loss": float(train_l.mean()), "w_error": w_error.tolist(), "b_error": float(b_error)}


if __name__ == "__main__":
    main()
