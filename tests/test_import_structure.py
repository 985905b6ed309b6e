"""The package's import graph is a ladder: no loop, no private name crossing modules, no E402."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "autocompyute"


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
# Compiled modules (described by their stubs) import nothing of the package.
COMPILED = {_module_name(path) for path in PACKAGE.rglob("*.pyi")}


def _owner(name):
    """The package module that `name` (a module or a name inside one) belongs to."""
    while name and name not in MODULES and name not in COMPILED:
        name = name.rpartition(".")[0]
    return name or None


def _load_time_imports(module):
    """(imported module, imported name or None) for each import that runs when `module` loads."""
    path = MODULES[module]
    tree = ast.parse(path.read_text())
    base = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in tree.body:  # module level only; `if TYPE_CHECKING:` blocks are skipped
        if isinstance(node, ast.Import):
            found += [(_owner(alias.name), None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                prefix = base.rsplit(".", node.level - 1)[0] if node.level > 1 else base
                source = f"{prefix}.{source}" if source else prefix
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if full in MODULES or full in COMPILED:
                    found.append((full, None))
                else:
                    found.append((_owner(source), alias.name))
    return [(target, name) for target, name in found if target and target != module]


def test_no_import_loop():
    graph = {module: {target for target, _ in _load_time_imports(module)} for module in MODULES}
    graph.update({module: set() for module in COMPILED})
    state = {}

    def visit(module, stack):
        state[module] = "active"
        for target in sorted(graph[module]):
            if state.get(target) == "active":
                loop = [*stack[stack.index(target) :], target]
                pytest.fail("import loop: " + " -> ".join(loop))
            if target not in state:
                visit(target, [*stack, target])
        state[module] = "done"

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [module])


def test_no_private_name_imported_across_modules():
    offenders = [
        f"{module} imports {name} from {target}"
        for module in MODULES
        for target, name in _load_time_imports(module)
        if name and name.startswith("_") and not name.startswith("__")
    ]
    assert offenders == []


def test_no_e402_escape():
    assert [m for m, path in MODULES.items() if "noqa: E402" in path.read_text()] == []
