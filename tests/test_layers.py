"""The package's layers as docs/developing.md draws them: every module is in the table once,
imports only from lower layers (at the top of the module), and declares its public names."""

import ast
import re

import pytest
from conftest import ROOT

PACKAGE = ROOT / "src" / "pixel_influence"
TABLE_ROW = re.compile(r"^\| (\d+) \| ([^|]+) \|")


def layers_of_the_docs():
    """{module: layer} from the table of docs/developing.md ("render.montage", "__init__")."""
    text = (ROOT / "docs" / "developing.md").read_text(encoding="utf-8")
    section = text.split("## The package in layers", 1)[1].split("\n## ", 1)[0]
    found = {}
    for line in section.splitlines():
        match = TABLE_ROW.match(line)
        if match:
            for module in re.findall(r"`([\w.]+)`", match.group(2)):
                assert module not in found, f"{module} is listed twice"
                found[module] = int(match.group(1))
    return found


def module_name(path):
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(path, module):
    """(module imported, line, at the top of the file?) for every import of the package in
    ``path``, the source of ``module``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    if module == "__init__":
        package = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            names = [node.module] if node.module else [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pixel_influence"):
            base, names = [], [node.module.partition(".")[2] or "__init__"]
        elif isinstance(node, ast.Import):
            base = []
            names = [a.name.partition(".")[2] for a in node.names if a.name.startswith("pixel_")]
        else:
            continue
        for name in names:
            target = ".".join([*base, *name.split(".")])
            if target not in MODULES:  # "from . import SOFTWARE": the package itself
                target = ".".join(base) or "__init__"
            yield target, node.lineno, id(node) in top


def breaches(module, path, table):
    """What in ``path`` (the source of ``module``) breaks the layers of ``table``."""
    found = []
    for target, line, at_top in imported(path, module):
        where = f"{path.name}:{line}"
        if not at_top:
            found.append(f"{where}: imports {target} inside a function (a hidden cycle?)")
        elif target not in table:
            found.append(f"{where}: imports {target}, which the table does not list")
        elif table[target] >= table[module]:
            found.append(
                f"{where}: {module} (layer {table[module]}) imports {target} (layer "
                f"{table[target]}); a module imports only from lower layers (docs/developing.md)"
            )
    return found


def test_every_module_is_in_the_table_once():
    table = layers_of_the_docs()
    assert sorted(table) == sorted(MODULES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_from_lower_layers_at_its_top(module):
    assert breaches(module, MODULES[module], layers_of_the_docs()) == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m not in ("__main__",)))
def test_every_module_says_its_job_and_its_public_names(module):
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{module} has no docstring"
    if module in ("__init__", "render"):
        return  # the package's version, and a map of render's modules
    declared = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(getattr(t, "id", "") == "__all__" for t in node.targets)
    ]
    assert declared, f"{module} declares no __all__"
    names = ast.literal_eval(declared[0].value)
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))} | {
        t.id
        for n in tree.body
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    assert set(names) <= defined, f"{module}.__all__ names what it does not define"
    public_functions = {
        n.name
        for n in tree.body
        if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and not n.name.startswith("_")
    }
    assert public_functions <= set(names), (
        f"{module}: public functions missing from __all__: {public_functions - set(names)}"
    )


def test_a_breach_is_caught(tmp_path):
    """The check can fail: network (layer 2) importing h5io (layer 6), or importing inside
    a function, is named."""
    fake = tmp_path / "network.py"
    fake.write_text('"""x"""\n\nfrom .h5io import put\n\n\ndef f():\n    from . import errors\n')
    assert breaches("network", fake, layers_of_the_docs()) == [
        "network.py:3: network (layer 2) imports h5io (layer 6); a module imports only from "
        "lower layers (docs/developing.md)",
        "network.py:7: imports errors inside a function (a hidden cycle?)",
    ]
