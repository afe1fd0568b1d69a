"""inf and nan are values, as in PyTorch: chainrule's ops do not pass NumPy's RuntimeWarnings
on to the user (checked in a fresh interpreter, where pytest's own warning filters are absent)."""

import subprocess
import sys

CODE = """
import chainrule as torch
x = torch.tensor([1.0, 0.0, -1.0], requires_grad=True)
y = (x / 0).sum() + torch.log(x).sum() + torch.sqrt(x).sum()
assert torch.zeros(0).mean().isnan().item()
x2 = torch.tensor([0.0], requires_grad=True)
x2.sqrt().sum().backward()
assert x2.grad.item() == float("inf")
u = torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
for f in (torch.asin, torch.acos, torch.atanh, torch.acosh):
    assert f(u).isnan().any().item()
    (g,) = torch.autograd.grad(f(u).sum(), u)
    assert g.isinf().any().item()
z = torch.zeros(2, requires_grad=True)
torch.atan2(z, z).sum().backward()
assert z.grad.tolist() == [0.0, 0.0]
print("ok")
"""


def test_special_values_raise_no_runtime_warning():
    r = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-c", CODE],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"
