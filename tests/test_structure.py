"""chainrule is built in layers: a module imports only from the layers below its own.

LAYERS (below) is the reading order of the package. Layer 0 knows nothing of the rest, and each
layer above is made from the ones beneath it, so a learner can read chainrule bottom to top and
never meet a name that is defined further up. Python lets a module import late, inside a
function, to get round an import cycle; that hides the real order, so here such imports count
like any other.

Read from the source with ``ast`` (nothing is imported to find the imports):

1. every module matches a pattern in LAYERS, so a new file has to be given a place;
2. no module imports one of a higher layer (importing ``chainrule.a.b`` runs
   ``chainrule/a/__init__.py`` first, so it imports the package ``chainrule.a`` too);
3. there are no import cycles, within a layer or across layers.

Then, by running them: every module imports first, on its own, in a fresh interpreter, and
``import chainrule`` works.

To move a module, edit LAYERS. The checker itself is tested on toy packages at the end.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections import defaultdict, deque
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from itertools import pairwise
from pathlib import Path

import pytest

# (name, what it holds, module patterns), bottom to top: the list index is the layer number.
# Patterns are fnmatch-style over dotted names. A package's __init__ goes by the package's
# name, so a whole package is "chainrule.nn", "chainrule.nn.*".
LAYERS: list[tuple[str, str, list[str]]] = [
    (
        "backend",
        "the array-library seam, the dtypes, the device; C++'s sorts as libstdc++ runs them",
        [
            "chainrule.backend",
            "chainrule.backend_strict",
            "chainrule.backend_dask",
            "chainrule.dtypes",
            "chainrule.device",
            "chainrule._cpp_sort",
        ],
    ),
    ("state", "thread-local mode state, shared error texts", ["chainrule._state"]),
    ("node", "the graph's pieces: Node, AccumulateGrad, edges", ["chainrule.node"]),
    (
        "tensor base",
        "the bare Tensor, random state, conversion, printing, the buffer pool",
        [
            "chainrule.tensor_base",
            "chainrule.random",
            "chainrule._convert",
            "chainrule._print",
            "chainrule._allocator",
        ],
    ),
    (
        "op machinery",
        "what an op is: plans, primitives, array namespaces; the table's entry that recording "
        "itself uses (copy_slices, for writes through views)",
        [
            "chainrule.ops.plan",
            "chainrule.ops.primitive",
            "chainrule.ops.namespaces",
            "chainrule.ops.views",
            "chainrule.ops.dask_views",
            "chainrule.ops.special_kernels",
            "chainrule.ops.symbolic",
        ],
    ),
    ("apply", "running an op and recording its node", ["chainrule.ops.apply"]),
    (
        "op table",
        "THE TABLE: every op with its derivative rule",
        [
            "chainrule.ops",
            "chainrule.ops.elementwise",
            "chainrule.ops.reduction",
            "chainrule.ops.shape",
            "chainrule.ops.indexing",
            "chainrule.ops.scatter",
            "chainrule.ops.linalg",
            "chainrule.ops.loss",
            "chainrule.ops.norm",
            "chainrule.ops.conv",
            "chainrule.ops.special",
            "chainrule.ops.math_extra",
            "chainrule.ops.stats",
        ],
    ),
    (
        "functions",
        "PyTorch-named functions, Tensor method mixins, TensorNS",
        ["chainrule.functions", "chainrule.functions.*"],
    ),
    (
        "autograd",
        "backward, grad modes, Function, gradcheck, forward AD",
        ["chainrule.autograd", "chainrule.autograd.*"],
    ),
    ("tensor", "the full Tensor class", ["chainrule.tensor"]),
    ("creation", "zeros, ones, arange, tensor(...)", ["chainrule.creation"]),
    ("linalg", "torch.linalg, torch.special", ["chainrule.linalg", "chainrule.special"]),
    (
        "library",
        "nn, optim, data, func, sym, compile, viz, utils, cuda, save and load, the table's page",
        [
            *(
                f"chainrule.{p}{s}"
                for p in ("nn", "optim", "data", "func", "sym", "viz", "utils", "distributions")
                for s in ("", ".*")
            ),
            "chainrule.compiler",
            "chainrule.cuda",
            "chainrule.serialization",
            "chainrule.table",
        ],
    ),
    (
        "entry points",
        "the torch-like namespace; the command line, its expressions, the tour and the walk",
        [
            "chainrule",
            "chainrule.alias",
            "chainrule.cli",
            "chainrule.expr",
            "chainrule.tour",
            "chainrule.walk",
            "chainrule.__main__",
        ],
    ),
]

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = SRC.parent  # paths in reports are relative to the repository


# ------------------------------------------------------------------------------- the checker


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    line: int
    via: str = ""  # for a package imported implicitly: the submodule whose import runs it


@dataclass
class Report:
    layer_of: dict[str, int]
    unlisted: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # imports of modules that do not exist
    upward: list[str] = field(default_factory=list)
    cycles: list[str] = field(default_factory=list)


def _shown(path: Path, pkg_dir: Path) -> Path:
    """A file as reports show it: from the repository, or from the toy package's folder."""
    return path.relative_to(ROOT if path.is_relative_to(ROOT) else pkg_dir.parent)


def discover(pkg_dir: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py under pkg_dir (a package's __init__ is the
    package)."""
    modules = {}
    for path in sorted(pkg_dir.rglob("*.py")):
        parts = [pkg_dir.name, *path.relative_to(pkg_dir).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST):
    """Every Import/ImportFrom, at any depth (function bodies too), except under
    ``if TYPE_CHECKING:``, which never runs."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            todo.extend(node.orelse)
        else:
            todo.extend(ast.iter_child_nodes(node))


def collect_imports(modules: dict[str, Path], pkg_dir: Path) -> tuple[list[Edge], list[str]]:
    """The package-internal imports of every module, and the imports of modules not there."""
    package, edges, missing = pkg_dir.name, [], []
    for name, path in modules.items():
        is_pkg = path.name == "__init__.py"
        here = name if is_pkg else name.rpartition(".")[0]  # what `from . import` means here
        for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base_parts = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join(base_parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                # `from pkg import x` imports the submodule pkg.x when there is one
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                    for a in node.names
                ]
            for target in targets:
                if target != package and not target.startswith(package + "."):
                    continue  # stdlib or third party
                if target not in modules:
                    where = f"{_shown(path, pkg_dir)}:{node.lineno}"
                    missing.append(f"{name} -> {target} (no such module) at {where}")
                    continue
                if target != name:
                    edges.append(Edge(name, target, node.lineno))
                # Importing a.b.c runs a/__init__ and a/b/__init__ first. Not counted: the
                # root (the entry point, run by any import) and the importer's own packages,
                # which Python has already started before it runs the importer.
                parts = target.split(".")
                for i in range(2, len(parts)):
                    parent = ".".join(parts[:i])
                    if parent != name and not name.startswith(parent + "."):
                        edges.append(Edge(name, parent, node.lineno, via=target))
    return edges, missing


def assign_layers(modules, layers) -> tuple[dict[str, int], list[str], list[str]]:
    layer_of, unlisted, ambiguous = {}, [], []
    for name in modules:
        hits = sorted(
            {i for i, (_, _, pats) in enumerate(layers) for p in pats if fnmatchcase(name, p)}
        )
        if not hits:
            unlisted.append(name)
        elif len(hits) > 1:
            ambiguous.append(f"{name} matches layers {hits}")
        else:
            layer_of[name] = hits[0]
    return layer_of, unlisted, ambiguous


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that reach each other (size > 1 = a cycle)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [g for g in out if len(g) > 1]


def _shortest_cycle(start: str, members: set[str], graph: dict[str, set[str]]) -> list[str]:
    """One concrete loop through start, for the report (breadth-first, inside the group)."""
    came_from = {start: None}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(graph[v] & members):
            if w == start:
                path = [v]
                while came_from[path[-1]] is not None:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if w not in came_from:
                came_from[w] = v
                queue.append(w)
    raise AssertionError(f"{start} is in no cycle")


def check(pkg_dir: Path, layers) -> Report:
    """Run the three static checks on the package in pkg_dir against the layer table."""
    modules = discover(pkg_dir)
    layer_of, unlisted, ambiguous = assign_layers(modules, layers)
    edges, missing = collect_imports(modules, pkg_dir)
    report = Report(layer_of, unlisted, ambiguous, missing)

    def label(m):
        return f"{m} ({layer_of[m]} {layers[layer_of[m]][0]})"

    def at(m, lines):
        return f"{_shown(modules[m], pkg_dir)}:{', '.join(str(n) for n in sorted(set(lines)))}"

    # upward imports: one line per (importer, imported), with every line number
    upward = defaultdict(list)
    for e in edges:  # (unlisted modules are reported as such, not here)
        if layer_of.get(e.imported, -1) > layer_of.get(e.importer, len(layers)):
            upward[e.importer, e.imported].append(e)
    for (a, b), found in sorted(upward.items()):
        vias = sorted({e.via for e in found if e.via})
        note = f" (package __init__, run by importing {', '.join(vias)})" if vias else ""
        report.upward.append(f"{label(a)} -> {label(b)} at {at(a, [e.line for e in found])}{note}")

    graph, first_line = defaultdict(set), {}
    for e in edges:
        graph[e.importer].add(e.imported)
        first_line.setdefault((e.importer, e.imported), e.line)
    for group in _strongly_connected(graph):
        loop = _shortest_cycle(group[0], set(group), graph)
        steps = "".join(f"{a} [{at(a, [first_line[a, b]])}] -> " for a, b in pairwise(loop))
        report.cycles.append(f"{len(group)} modules: {', '.join(group)}\n    e.g. {steps}{loop[0]}")
    return report


# Runs in a fresh interpreter. A stub stands in for the root package, so that its __init__
# (which imports everything) does not run; each module is then imported with no other module
# of the package loaded. The stub is new each time: a submodule, once imported, is left on
# its parent as an attribute, and `from pkg import x` would find that instead of importing.
# Compiled code is kept between imports (without .pyc files, compiling is most of the time).
_IMPORT_EACH = """
import importlib, importlib.machinery, json, sys, types
loader, compiled = importlib.machinery.SourceFileLoader, {}
def source_to_code(self, data, path, to_code=loader.source_to_code, **kw):
    if path not in compiled:
        compiled[path] = to_code(self, data, path, **kw)
    return compiled[path]
loader.source_to_code = source_to_code
pkg_dir, package, names = sys.argv[1], sys.argv[2], sys.argv[3:]
failures = []
for name in names:
    for key in [k for k in sys.modules if k == package or k.startswith(package + ".")]:
        del sys.modules[key]
    stub = types.ModuleType(package)
    stub.__path__ = [pkg_dir]
    sys.modules[package] = stub
    try:
        importlib.import_module(name)
    except BaseException as exc:
        failures.append(f"{name}: {type(exc).__name__}: {exc}")
    for key, mod in list(sys.modules.items()):  # not an installed copy from sys.path
        if key.startswith(package + ".") and not mod.__file__.startswith(pkg_dir):
            failures.append(f"{name}: loaded {key} from {mod.__file__}")
print(json.dumps(failures))
"""


def import_each_alone(pkg_dir: Path, skip: frozenset = frozenset()) -> list[str]:
    """The modules that fail to import when imported first, each with its error."""
    package = pkg_dir.name
    # The root is checked whole by test_import_package; __main__ runs the program on import.
    names = [
        m
        for m in discover(pkg_dir)
        if m != package and not m.endswith(".__main__") and m not in skip
    ]
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH, str(pkg_dir), package, *names],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def import_package(pkg_dir: Path) -> subprocess.CompletedProcess:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import importlib, pathlib; "
        "m = importlib.import_module(sys.argv[2]); "
        "assert pathlib.Path(m.__file__).resolve().parent == pathlib.Path(sys.argv[3]), m.__file__"
    )
    args = [sys.executable, "-c", code, str(pkg_dir.parent), pkg_dir.name, str(pkg_dir.resolve())]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def _fail_if(items: list[str], title: str) -> None:
    if items:  # just the list: the Report's repr would bury it
        pytest.fail(f"{len(items)} {title}:\n  " + "\n  ".join(items), pytrace=False)


# -------------------------------------------------------------------- chainrule, checked


@pytest.fixture(scope="module")
def report() -> Report:
    return check(SRC / "chainrule", LAYERS)


def test_every_module_has_a_layer(report):
    _fail_if(report.ambiguous, "modules in more than one layer")
    _fail_if(report.unlisted, "modules in no layer: add them to LAYERS")


def test_no_module_imports_from_a_higher_layer(report):
    _fail_if(report.missing, "imports of modules that do not exist")
    _fail_if(report.upward, "upward imports")


def test_no_import_cycles(report):
    _fail_if(report.cycles, "import cycles")


def _top_layer() -> frozenset:
    """The entry points' modules: beside the root, they may use its whole namespace (the
    command line evaluates expressions over ``chainrule.*``), so they import it whole."""
    return frozenset(
        m for m in discover(SRC / "chainrule") if any(fnmatchcase(m, p) for p in LAYERS[-1][2])
    )


def test_each_module_imports_first_on_its_own():
    failed = import_each_alone(SRC / "chainrule", skip=_top_layer())
    _fail_if(failed, "modules that fail when imported first")


def test_import_package():
    proc = import_package(SRC / "chainrule")
    if proc.returncode:
        pytest.fail(proc.stderr, pytrace=False)
    names = sorted(m for m in _top_layer() if m != "chainrule" and not m.endswith("__main__"))
    code = f"import sys; sys.path.insert(0, {str(SRC)!r}); import {', '.join(names)}"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode:
        pytest.fail(proc.stderr, pytrace=False)


# ------------------------------------------------------------ the checker, on toy packages

TOY_LAYERS = [
    ("base", "", ["toy.base"]),
    ("core", "", ["toy.core", "toy.core.*"]),
    ("app", "", ["toy.app"]),
    ("entry", "", ["toy"]),
]

# Clean, and uses the forms the checker must read: relative imports of both levels, a
# submodule named in `from pkg import`, a late import, and an ignored TYPE_CHECKING import.
TOY = {
    "__init__.py": "from . import app\n",
    "base.py": (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .app import run\nBASE = 1\n"
    ),
    "core/__init__.py": "from . import algo\n",
    "core/algo.py": "import json\nfrom ..base import BASE\n\ndef f():\n    from . import extra\n"
    "    return extra.g() + BASE\n",
    "core/extra.py": "import toy.base\n\ndef g():\n    return toy.base.BASE\n",
    "app.py": "from .core.algo import f\n\ndef run():\n    return f()\n",
}


def make_toy(tmp_path: Path, changes: dict[str, str] | None = None) -> Path:
    """Write the toy package under tmp_path, with some files replaced or added."""
    files = {**TOY, **(changes or {})}
    for rel, text in files.items():
        (tmp_path / "toy" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "toy" / rel).write_text(text)
    return tmp_path / "toy"


def test_checker_passes_a_clean_package(tmp_path):
    pkg = make_toy(tmp_path)
    report = check(pkg, TOY_LAYERS)
    assert (report.unlisted, report.ambiguous, report.missing) == ([], [], [])
    assert (report.upward, report.cycles) == ([], [])
    assert import_each_alone(pkg) == []
    assert import_package(pkg).returncode == 0


def test_checker_catches_an_upward_import(tmp_path):
    # late imports count, and importing toy.core.algo imports the package toy.core too
    pkg = make_toy(tmp_path, {"base.py": "BASE = 1\n\ndef late():\n    from .core.algo import f\n"})
    upward = check(pkg, TOY_LAYERS).upward
    assert upward == [
        "toy.base (0 base) -> toy.core (1 core) at toy/base.py:4 "
        "(package __init__, run by importing toy.core.algo)",
        "toy.base (0 base) -> toy.core.algo (1 core) at toy/base.py:4",
    ]


def test_checker_catches_a_cycle_within_a_layer(tmp_path):
    # extra -> algo at the top, algo -> extra inside f: no upward import, still a cycle
    pkg = make_toy(tmp_path, {"core/extra.py": "from . import algo\n\ndef g():\n    return 1\n"})
    report = check(pkg, TOY_LAYERS)
    assert report.upward == []
    assert len(report.cycles) == 1
    assert report.cycles[0].startswith("2 modules: toy.core.algo, toy.core.extra\n")


def test_checker_catches_a_cycle_through_a_package_init(tmp_path):
    # base imports toy.core.extra (which imports nothing), but that runs toy/core/__init__.py,
    # which imports algo, which imports base: a cycle only through the package's __init__
    pkg = make_toy(tmp_path, {"base.py": "import toy.core.extra\n", "core/extra.py": ""})
    report = check(pkg, TOY_LAYERS)
    assert [u.split(" at ")[0] for u in report.upward] == [
        "toy.base (0 base) -> toy.core (1 core)",
        "toy.base (0 base) -> toy.core.extra (1 core)",
    ]
    assert report.cycles == [
        "3 modules: toy.base, toy.core, toy.core.algo\n"
        "    e.g. toy.base [toy/base.py:1] -> toy.core [toy/core/__init__.py:1] -> "
        "toy.core.algo [toy/core/algo.py:2] -> toy.base"
    ]


def test_checker_wants_every_module_in_a_layer(tmp_path):
    pkg = make_toy(tmp_path, {"new.py": "", "app.py": "from .nowhere import x\n"})
    report = check(pkg, TOY_LAYERS)
    assert report.unlisted == ["toy.new"]
    assert report.missing == ["toy.app -> toy.nowhere (no such module) at toy/app.py:1"]


def test_checker_imports_each_module_first(tmp_path):
    # app works only if something has imported toy.core.extra before it
    pkg = make_toy(tmp_path, {"app.py": "import toy.core\n\nX = toy.core.extra.g()\n"})
    assert import_each_alone(pkg) == [
        "toy.app: AttributeError: module 'toy.core' has no attribute 'extra'"
    ]
    # a cycle of top-level imports: whichever of the two is imported first fails
    pkg = make_toy(
        tmp_path / "cycle",
        {
            "core/__init__.py": "",
            "core/algo.py": "from .extra import g\n\ndef f():\n    return g()\n",
            "core/extra.py": "from .algo import f\n\ndef g():\n    return 1\n",
        },
    )
    failures = import_each_alone(pkg)
    assert [f.split(":")[0] for f in failures] == ["toy.app", "toy.core.algo", "toy.core.extra"]
    assert all("partially initialized module" in f for f in failures)
