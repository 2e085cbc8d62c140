"""The package's layout holds: no import cycles, and each layer imports only the layers below.

Imports are read from the source with ``ast`` (nothing is imported), at module level and
inside functions alike: a lazy import still makes the modules depend on each other.
Importing ``ninjagrad.a.b`` also runs ``ninjagrad/a/__init__.py``; that implicit edge is
not counted, as Python resolves it without a cycle (a package's ``__init__`` may import its
own submodules, which import each other).
"""

import ast
from pathlib import Path

import pytest

import ninjagrad

PACKAGE = Path(ninjagrad.__file__).parent

# Layers, lowest first. A module may import its own folder and the layers below its own.
# "" is the top-level package with its public-path modules (``ninjagrad``,
# ``ninjagrad.functional``, ``ninjagrad.nn``): the public API of the engines, which the
# applications above may use.
LAYERS = [
    {"errors"},
    {"files", "graph"},  # writing files safely; the one graph walk
    {"scalar", "tensors"},  # the two engines, independent of each other
    {"check", "draw"},  # tools over the engines
    {""},  # the public names
    {"makemore", "dojo", "check.fuzz"},  # applications of the public API
    {"cli"},  # the command line
]
# Top-level modules that belong to a folder's layer.
TOP_LEVEL = {"functional": "", "nn": "", "autograd": "", "cuda": "", "accelerator": "",
             "storage": "", "__main__": "cli"}
# Sub-folders with a layer of their own: the differential fuzzer lives with the checking
# tools, but it runs programs against the public names exactly as a user's program does.
SUBFOLDERS = ("check.fuzz",)
# Folders in the same layer that may use each other (importer, imported).
SIDEWAYS = {("dojo", "makemore")}  # the exercises grade makemore's backward pass


def module_files(root):
    """``{module name: path}`` for every module of the package at ``root``."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imports_of(name, path, modules):
    """The package's modules that ``name`` imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from ..a import b
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # ``from pkg import sub`` imports the submodule; ``from mod import name`` the module
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # ``import a.b.c`` of a name c in a.b
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(root):
    modules = module_files(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycle(graph):
    """One import cycle as a list of modules (first == last), or None."""
    state = {}  # module -> "open" while on the current path, "done" when finished
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = "open"
        while stack:
            target = next(stack[-1], None)
            if target is None:
                state[path.pop()] = "done"
                stack.pop()
            elif state.get(target) == "open":
                return path[path.index(target):] + [target]
            elif target not in state:
                state[target] = "open"
                path.append(target)
                stack.append(iter(sorted(graph[target])))
    return None


def folder(module):
    """The layer folder of a module: ``ninjagrad.tensors.ops.shape`` -> ``tensors``."""
    parts = module.split(".")
    if ".".join(parts[1:3]) in SUBFOLDERS:
        return ".".join(parts[1:3])
    name = parts[1] if len(parts) > 1 else ""
    return TOP_LEVEL.get(name, name)


def layer_violations(graph):
    level = {name: i for i, layer in enumerate(LAYERS) for name in layer}
    bad = []
    for module, targets in sorted(graph.items()):
        here = folder(module)
        for target in sorted(targets):
            there = folder(target)
            if here == there or (here, there) in SIDEWAYS:
                continue
            if here not in level or there not in level:
                bad.append(f"{module} -> {target}: folder not in LAYERS of tests/test_layout.py")
            elif level[there] >= level[here]:
                bad.append(f"{module} -> {target}: '{here}' may not import '{there}'")
    return bad


# ------------------------------------------------------------------------------- the tree
def test_the_package_has_no_import_cycle():
    graph = import_graph(PACKAGE)
    assert "ninjagrad.tensors.tensor" in graph and graph["ninjagrad"], "no modules found"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_each_layer_imports_only_the_layers_below_it():
    violations = layer_violations(import_graph(PACKAGE))
    assert not violations, "imports against the layering:\n" + "\n".join(violations)


# ----------------------------------------------------------------- the checks themselves
def write_package(root, files):
    for relative, source in files.items():
        path = root / "ninjagrad" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return root / "ninjagrad"


@pytest.mark.parametrize(
    "files, cycle",
    [
        (  # a lazy import inside a function closes the cycle
            {"__init__.py": "", "tensors/__init__.py": "",
             "tensors/tensor.py": "def f():\n    from ninjagrad.tensors import ops\n",
             "tensors/ops.py": "from ninjagrad.tensors.tensor import f\n"},
            ["ninjagrad.tensors.ops", "ninjagrad.tensors.tensor", "ninjagrad.tensors.ops"],
        ),
        (  # relative imports, three modules
            {"__init__.py": "", "a.py": "from . import b\n", "b.py": "from .c import x\n",
             "c.py": "import ninjagrad.a\nx = 1\n"},
            ["ninjagrad.a", "ninjagrad.b", "ninjagrad.c", "ninjagrad.a"],
        ),
    ],
)
def test_find_cycle_names_the_modules_of_a_cycle(tmp_path, files, cycle):
    assert find_cycle(import_graph(write_package(tmp_path, files))) == cycle


def test_a_package_importing_its_submodules_is_no_cycle(tmp_path):
    root = write_package(tmp_path, {
        "__init__.py": "from ninjagrad.tensors.tensor import Tensor\n",
        "tensors/__init__.py": "from ninjagrad.tensors import ops\n",
        "tensors/ops.py": "from ninjagrad.tensors.tensor import Tensor\n",
        "tensors/tensor.py": "class Tensor:\n    pass\n",
    })
    graph = import_graph(root)
    assert graph["ninjagrad.tensors"] == {"ninjagrad.tensors.ops"}
    assert find_cycle(graph) is None


def test_layer_violations_name_upward_and_sideways_imports(tmp_path):
    root = write_package(tmp_path, {
        "__init__.py": "", "graph.py": "", "tensors/__init__.py": "", "scalar/__init__.py": "",
        "tensors/tensor.py": "def f():\n    import ninjagrad.scalar\n",
        "scalar/value.py": "from ninjagrad import graph\n",
        "graph_user.py": "import ninjagrad\n",
        "check/__init__.py": "from ninjagrad.tensors.tensor import f\n",
        "makemore/__init__.py": "import ninjagrad\n",
        "draw/__init__.py": "from ninjagrad.cli import main\n",
        "cli/__init__.py": "main = None\n",
    })
    assert layer_violations(import_graph(root)) == [
        "ninjagrad.draw -> ninjagrad.cli: 'draw' may not import 'cli'",
        "ninjagrad.graph_user -> ninjagrad: folder not in LAYERS of tests/test_layout.py",
        "ninjagrad.tensors.tensor -> ninjagrad.scalar: 'tensors' may not import 'scalar'",
    ]
