"""Recurrent layers: RNN, GRU and LSTM, their one-step cells, with PyTorch's parameter
names, gate order, shapes, defaults and errors (d2l's chapters on recurrent networks).

Every layer is a composite of table ops (matmul, add, mul, sigmoid, tanh, relu, slicing,
stack, cat), so autograd and forward mode come from the table; nothing here knows a
derivative. One step of each, for input x, hidden state h (and cell state c), with
``W_i*``/``b_i*`` the rows of ``weight_ih``/``bias_ih`` for one gate (``W_h*`` likewise):

    RNN   h' = tanh(W_i x + b_i + W_h h + b_h)                      (or relu)
    GRU   r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)               gate order r, z, n
          z  = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
          n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))
          h' = (1 - z) * n + z * h
    LSTM  i, f, o = sigmoid(...), g = tanh(...)                     gate order i, f, g, o
          c' = f * c + i * g
          h' = o * tanh(c')

The layers compute the input projections ``x W_ih^T + b_ih`` of all time steps in one
matmul before the time loop (one BLAS call), then loop over time for the hidden
projections ``h W_hh^T``.

>>> import chainrule as torch
>>> gru = torch.nn.GRU(28, 256, num_layers=2, batch_first=True)
>>> gru
GRU(28, 256, num_layers=2, batch_first=True)
>>> output, h_n = gru(torch.zeros(4, 7, 28))
>>> output.shape, h_n.shape
(torch.Size([4, 7, 256]), torch.Size([2, 4, 256]))
"""

from __future__ import annotations

import math
import numbers
import warnings

from .. import creation
from ..functions import elementwise as E
from ..functions import shape as S
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "GRU": 3, "LSTM": 4}


def _dtype_title(t: Tensor) -> str:
    return {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long"}.get(
        str(t.dtype).replace("torch.", ""), str(t.dtype)
    )


def _check_same_dtype(hidden: Tensor, weight: Tensor) -> None:
    # PyTorch's RNN kernels meet a hidden state of another dtype in their first matmul
    if hidden.dtype != weight.dtype:
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {_dtype_title(hidden)} and "
            f"{_dtype_title(weight)}"
        )


# ------------------------------------------------------------------ one step of each kind
# ``gx`` is the input projection x W_ih^T + b_ih of this step, ``gh`` the hidden one
# h W_hh^T + b_hh; both (batch, gates * hidden).
def _rnn_tanh_step(gx, gh, h):
    return E.tanh(gx + gh)


def _rnn_relu_step(gx, gh, h):
    return E.relu(gx + gh)


def _gru_step(gx, gh, h):
    H = h.shape[-1]
    rz = E.sigmoid(gx[:, : 2 * H] + gh[:, : 2 * H])  # r and z in one call
    r, z = rz[:, :H], rz[:, H:]
    n = E.tanh(gx[:, 2 * H :] + r * gh[:, 2 * H :])
    return n + z * (h - n)  # (1 - z) * n + z * h, one op fewer


def _lstm_step(gx, gh, hc):
    h, c = hc
    H = c.shape[-1]  # (h is shorter with proj_size)
    gates = gx + gh
    if_ = E.sigmoid(gates[:, : 2 * H])  # i and f in one call
    i, f = if_[:, :H], if_[:, H:]
    g = E.tanh(gates[:, 2 * H : 3 * H])
    o = E.sigmoid(gates[:, 3 * H :])
    c = f * c + i * g
    return o * E.tanh(c), c


_STEPS = {
    "RNN_TANH": _rnn_tanh_step,
    "RNN_RELU": _rnn_relu_step,
    "GRU": _gru_step,
    "LSTM": _lstm_step,
}


# ------------------------------------------------------------------ the layers
class RNNBase(Module):
    """What RNN, GRU and LSTM share: the parameters of every layer and direction,
    PyTorch's checks of arguments and inputs, and the loop over layers and time."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1

        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of "
                "an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                "dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}",
                UserWarning,
                stacklevel=3,
            )
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size  # what h holds

        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden * num_directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [
                    ("weight_ih", (gate_size, layer_input_size)),
                    ("weight_hh", (gate_size, real_hidden)),
                ]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for kind, shape in shapes:
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(creation.empty(*shape, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters per layer and direction: [[weight_ih, weight_hh, bias_ih,
        bias_hh], ...]."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """PyTorch packs the weights for cuDNN here; chainrule needs nothing: a no-op."""

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---------------------------------------------------------------- checks
    def _expected_hidden_size(self, batch: int) -> tuple[int, int, int]:
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * (2 if self.bidirectional else 1), batch, real_hidden)

    def _check_input(self, input: Tensor) -> None:
        weight = self.weight_ih_l0
        if input.dtype != weight.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). "
                f"Convert input: input.to({weight.dtype}), or convert model: "
                f"model.to({input.dtype})"
            )
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {input.shape[-1]}"
            )

    def _check_hidden(self, hx: Tensor, expected, which: str = "") -> None:
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"Expected hidden{which} size {expected}, got {list(hx.shape)}")

    def _input_dims(self, input: Tensor) -> bool:
        """Whether ``input`` is batched (3-D); PyTorch's error for other dims."""
        if input.dim() not in (2, 3):
            tensor = " tensor" if self.mode.startswith("RNN") else ""
            raise ValueError(
                f"{self._get_name()}: Expected input to be 2D or 3D, got {input.dim()}D"
                f"{tensor} instead"
            )
        return input.dim() == 3

    def _forward_single(self, input: Tensor, hx: Tensor | None):
        """forward of RNN and GRU: one state tensor."""
        batched = self._input_dims(input)
        if hx is not None:
            if not batched and hx.dim() != 2:
                raise RuntimeError(
                    f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor"
                )
            if batched and hx.dim() != 3:
                raise RuntimeError(
                    f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor"
                )
        self._check_input(input)
        batch = input.shape[0 if self.batch_first else 1] if batched else 1
        expected = self._expected_hidden_size(batch)
        if hx is None:
            hx = creation.zeros(*expected, dtype=input.dtype, device=input.device)
        else:
            if not batched:
                hx = S.unsqueeze(hx, 1)
            self._check_hidden(hx, expected)
            _check_same_dtype(hx, self.weight_ih_l0)
        output, finals = self._run(input, list(hx.unbind(0)), batched)
        h_n = S.stack(finals, 0)
        if not batched:
            h_n = S.squeeze(h_n, 1)
        return output, h_n

    # ---------------------------------------------------------------- the computation
    def _run(self, input: Tensor, hx: list, batched: bool):
        """Run every layer over ``input``; ``hx`` holds the initial states per
        layer and direction (a Tensor, or an (h, c) pair for LSTM). Returns the output
        and the final states in the same layout."""
        if not batched:
            input = S.unsqueeze(input, 0 if self.batch_first else 1)
        if self.batch_first:
            input = S.transpose(input, 0, 1)  # time-major inside: (T, B, features)
        if input.shape[0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        step = _STEPS[self.mode]
        num_directions = 2 if self.bidirectional else 1
        layer_input = input
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                k = layer * num_directions + direction
                weights = dict(zip(("w_ih", "w_hh"), self.all_weights[k][:2], strict=True))
                if self.bias:
                    weights["b_ih"], weights["b_hh"] = self.all_weights[k][2:4]
                if self.proj_size:
                    weights["w_hr"] = self.all_weights[k][-1]
                out, final = _run_direction(layer_input, hx[k], step, direction == 1, **weights)
                outs.append(out)
                finals.append(final)
            layer_input = outs[0] if num_directions == 1 else S.cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input
        if self.batch_first:
            output = S.transpose(output, 0, 1)
        if not batched:
            output = S.squeeze(output, 0 if self.batch_first else 1)
        return output, finals


def _run_direction(
    x: Tensor, state, step, reverse: bool, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None
):
    """One layer in one direction over the time-major sequence ``x`` (T, B, features),
    from ``state``: the outputs stacked in time order (T, B, H), and the final state.
    ``w_hr``: an LSTM's projection of h (``proj_size``), h' = (o * tanh(c')) W_hr^T."""
    T, B = x.shape[0], x.shape[1]
    gx_all = F.linear(S.reshape(x, (T * B, x.shape[2])), w_ih, b_ih)  # one BLAS call
    gx_all = S.reshape(gx_all, (T, B, w_ih.shape[0]))
    w_hh_t = S.contiguous(S.t(w_hh))  # transposed once, not per step (BLAS is faster on it)
    w_hr_t = None if w_hr is None else S.contiguous(S.t(w_hr))
    outs = [None] * T
    for t in range(T - 1, -1, -1) if reverse else range(T):
        h = state[0] if type(state) is tuple else state
        gh = h @ w_hh_t
        if b_hh is not None:
            gh = gh + b_hh
        state = step(gx_all[t], gh, state)
        if w_hr is not None:
            state = (state[0] @ w_hr_t, state[1])
        outs[t] = state[0] if type(state) is tuple else state
    return S.stack(outs, 0), state


class RNN(RNNBase):
    """An Elman RNN, h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu),
    stacked ``num_layers`` deep, optionally in both directions.

    Input (T, B, input_size) (or (B, T, input_size) with ``batch_first``, or (T,
    input_size) unbatched), optional h0 (num_layers * num_directions, B, hidden_size);
    returns (output, h_n) with output (T, B, num_directions * hidden_size).

    >>> import chainrule as torch
    >>> rnn = torch.nn.RNN(3, 5, num_layers=2)
    >>> output, h_n = rnn(torch.zeros(7, 2, 3))
    >>> output.shape, h_n.shape
    (torch.Size([7, 2, 5]), torch.Size([2, 2, 5]))
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None):
        return self._forward_single(input, hx)


class GRU(RNNBase):
    """A gated recurrent unit layer (gates r, z, n in PyTorch's order), stacked
    ``num_layers`` deep, optionally in both directions; the same arguments, shapes and
    outputs as :class:`RNN` (no ``nonlinearity``).

    >>> import chainrule as torch
    >>> output, h_n = torch.nn.GRU(3, 5, bidirectional=True)(torch.zeros(7, 2, 3))
    >>> output.shape, h_n.shape
    (torch.Size([7, 2, 10]), torch.Size([2, 2, 5]))
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None):
        return self._forward_single(input, hx)


class LSTM(RNNBase):
    """A long short-term memory layer (gates i, f, g, o in PyTorch's order), stacked
    ``num_layers`` deep, optionally in both directions. The state is a pair (h, c) of
    (num_layers * num_directions, B, hidden_size) tensors; returns (output, (h_n, c_n)).
    With ``proj_size`` > 0, h is projected to that size (h = (o * tanh(c)) W_hr^T, by
    ``weight_hr_l{k}``): h0, h_n and the output hold proj_size features, c hidden_size.

    >>> import chainrule as torch
    >>> output, (h_n, c_n) = torch.nn.LSTM(3, 5)(torch.zeros(7, 2, 3))
    >>> output.shape, h_n.shape, c_n.shape
    (torch.Size([7, 2, 5]), torch.Size([1, 2, 5]), torch.Size([1, 2, 5]))
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input: Tensor, hx=None):
        batched = self._input_dims(input)
        if hx is not None:
            if len(hx) != 2:
                raise RuntimeError("lstm expects two hidden states")
            h0, c0 = hx
            if not batched and (h0.dim() != 2 or c0.dim() != 2):
                raise RuntimeError(
                    "For unbatched 2-D input, hx and cx should also be 2-D but got "
                    f"({h0.dim()}-D, {c0.dim()}-D) tensors"
                )
            if batched and (h0.dim() != 3 or c0.dim() != 3):
                raise RuntimeError(
                    "For batched 3-D input, hx and cx should also be 3-D but got "
                    f"({h0.dim()}-D, {c0.dim()}-D) tensors"
                )
        self._check_input(input)
        batch = input.shape[0 if self.batch_first else 1] if batched else 1
        expected = self._expected_hidden_size(batch)
        expected_c = expected[:2] + (self.hidden_size,)
        if hx is None:
            h0 = creation.zeros(*expected, dtype=input.dtype, device=input.device)
            c0 = creation.zeros(*expected_c, dtype=input.dtype, device=input.device)
        else:
            if not batched:
                h0, c0 = S.unsqueeze(h0, 1), S.unsqueeze(c0, 1)
            self._check_hidden(h0, expected, "[0]")
            self._check_hidden(c0, expected_c, "[1]")
            _check_same_dtype(h0, self.weight_ih_l0)
            _check_same_dtype(c0, self.weight_ih_l0)
        states = list(zip(h0.unbind(0), c0.unbind(0), strict=True))
        output, finals = self._run(input, states, batched)
        h_n = S.stack([h for h, _ in finals], 0)
        c_n = S.stack([c for _, c in finals], 0)
        if not batched:
            h_n, c_n = S.squeeze(h_n, 1), S.squeeze(c_n, 1)
        return output, (h_n, c_n)


# ------------------------------------------------------------------ the cells
class RNNCellBase(Module):
    """What the cells share: weight_ih (gates * hidden, input), weight_hh (gates *
    hidden, hidden), bias_ih and bias_hh, all from U(-1/sqrt(hidden), 1/sqrt(hidden))."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(creation.empty(gates, input_size, dtype=dtype))
        self.weight_hh = Parameter(creation.empty(gates, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(gates, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(gates, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _prepare(self, input: Tensor, hx: tuple, name: str):
        """PyTorch's checks; the input and states made 2-D (batch first); whether the
        input was batched."""
        if input.dim() not in (1, 2):
            raise ValueError(
                f"{self._get_name()}: Expected input to be 1D or 2D, got {input.dim()}D instead"
            )
        for i, h in enumerate(hx):
            if h is not None and h.dim() not in (1, 2):
                raise ValueError(
                    f"{self._get_name()}: Expected {name.format(i)} to be 1D or 2D, "
                    f"got {h.dim()}D instead"
                )
        batched = input.dim() == 2
        if not batched:
            input = S.unsqueeze(input, 0)
        if input.shape[1] != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {input.shape[1]} expected "
                f"{self.input_size}"
            )
        states = []
        for i, h in enumerate(hx):
            if h is None:
                h = creation.zeros(
                    input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device
                )
            elif not batched:
                h = S.unsqueeze(h, 0)
            if input.shape[0] != h.shape[0]:
                raise RuntimeError(
                    f"Input batch size {input.shape[0]} doesn't match hidden{i} batch size "
                    f"{h.shape[0]}"
                )
            if h.shape[1] != self.hidden_size:
                raise RuntimeError(
                    f"hidden{i} has inconsistent hidden_size: got {h.shape[1]}, expected "
                    f"{self.hidden_size}"
                )
            states.append(h)
        _check_same_dtype(input, self.weight_ih)
        for h in states:
            _check_same_dtype(h, self.weight_hh)
        return input, states, batched

    def _projections(self, x: Tensor, h: Tensor):
        return F.linear(x, self.weight_ih, self.bias_ih), F.linear(h, self.weight_hh, self.bias_hh)


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).

    >>> import chainrule as torch
    >>> torch.nn.RNNCell(3, 4)(torch.zeros(2, 3)).shape
    torch.Size([2, 4])
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._prepare(input, (hx,), "hidden")
        if self.nonlinearity == "tanh":
            step = _rnn_tanh_step
        elif self.nonlinearity == "relu":
            step = _rnn_relu_step
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        out = step(*self._projections(x, h), h)
        return out if batched else S.squeeze(out, 0)


class GRUCell(RNNCellBase):
    """One step of a GRU (gates r, z, n in PyTorch's order).

    >>> import chainrule as torch
    >>> torch.nn.GRUCell(3, 4)(torch.zeros(2, 3)).shape
    torch.Size([2, 4])
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._prepare(input, (hx,), "hidden")
        out = _gru_step(*self._projections(x, h), h)
        return out if batched else S.squeeze(out, 0)


class LSTMCell(RNNCellBase):
    """One step of an LSTM (gates i, f, g, o in PyTorch's order); the state is a pair
    (h, c) and so is the result.

    >>> import chainrule as torch
    >>> h, c = torch.nn.LSTMCell(3, 4)(torch.zeros(2, 3))
    >>> h.shape, c.shape
    (torch.Size([2, 4]), torch.Size([2, 4]))
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, dtype=dtype)

    def forward(self, input: Tensor, hx=None):
        if hx is None:
            hx = (None, None)
        elif isinstance(hx, Tensor):
            raise TypeError(
                "lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, not Tensor"
            )
        x, (h, c), batched = self._prepare(input, tuple(hx), "hx[{}]")
        gx, gh = self._projections(x, h)
        h, c = _lstm_step(gx, gh, (h, c))
        if not batched:
            h, c = S.squeeze(h, 0), S.squeeze(c, 0)
        return h, c
