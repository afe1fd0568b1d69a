"""The d2l preprocessing lecture's house_tiny.csv, end to end, with `import chainrule as torch`.

Write the CSV, read it with pandas, fill the missing numbers with the column mean, one-hot
the categorical column (with a column for "missing"), turn both into tensors, and fit a
linear model price ~ w.x + b to the four houses. Needs pandas: pip install chainrule[data].

    python examples/house_prices_preprocessing.py [--data-dir DIR] [--steps 500]
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

import chainrule as torch
from chainrule import nn, optim
from chainrule.utils import data as cdata

ROWS = ["NumRooms,Alley,Price", "NA,Pave,127500", "2,NA,106000", "4,NA,178100", "NA,NA,140000"]


def write_csv(data_dir):
    """The lecture's tiny data set, one sample per line."""
    os.makedirs(data_dir, exist_ok=True)
    data_file = os.path.join(data_dir, "house_tiny.csv")
    with open(data_file, "w") as f:
        f.write("\n".join(ROWS) + "\n")
    return data_file


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="default: a new temporary folder")
    parser.add_argument("--steps", type=int, default=500, help="gradient steps of the fit")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        import pandas as pd
    except ImportError:
        raise SystemExit("this example needs pandas: pip install chainrule[data]") from None

    data_file = write_csv(args.data_dir or tempfile.mkdtemp(prefix="chainrule-data-"))
    data = pd.read_csv(data_file)
    print(data)

    # Missing values: the mean of the column for numbers, a category of its own for text.
    inputs, outputs = data.iloc[:, 0:2], data.iloc[:, 2]
    inputs = inputs.fillna(inputs.mean(numeric_only=True))
    inputs = pd.get_dummies(inputs, dummy_na=True, dtype=float)
    print(inputs)

    X = torch.tensor(inputs.to_numpy(dtype=float), dtype=torch.float32)
    y = torch.tensor(outputs.to_numpy(dtype=float), dtype=torch.float32)
    print(X)
    print(y)
    # The same two tensors in one call of the library's helper:
    same = cdata.from_dataframe(data, target="Price")
    print(
        "from_dataframe gives the same tensors:",
        torch.equal(same[0], X) and torch.equal(same[1], y),
    )

    # A linear model of the price in units of 100,000, fitted by full-batch gradient descent.
    torch.manual_seed(args.seed)
    target = (y / 1e5).reshape(-1, 1)
    net = nn.Linear(X.shape[1], 1)
    loss = nn.MSELoss()
    trainer = optim.SGD(net.parameters(), lr=args.lr, momentum=0.9)
    for step in range(args.steps):
        l = loss(net(X), target)
        trainer.zero_grad()
        l.backward()
        trainer.step()
        if (step + 1) % max(args.steps // 4, 1) == 0:
            print(f"step {step + 1}, loss {l.item():.6f}")
    with torch.no_grad():
        fitted = loss(net(X), target).item()
        predicted = (net(X) * 1e5).reshape(-1)

    # The best any linear model can do here, by least squares (NumPy, in float64).
    A = np.hstack([X.numpy(), np.ones((len(X), 1))])
    solution = np.linalg.lstsq(A, target.numpy().astype(np.float64), rcond=None)[0]
    best = float(np.mean((A @ solution - target.numpy()) ** 2))
    print("predicted prices:", [round(p) for p in predicted.tolist()])
    print(f"fitted mse {fitted:.6f}, least-squares optimum {best:.6f}")
    return {"mse": fitted, "optimum": best, "X": X, "y": y}


if __name__ == "__main__":
    main()
