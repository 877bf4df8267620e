"""The apps depend on each other one way only, and no two modules import each other.

Each app may import only the apps written beside it in `ALLOWED`, the one place the layering is written
down (README, "How the code is laid out"). Lower apps learn about higher ones through signals and the hooks
the higher apps fill in when they load, never by importing them, so every app can be read, tested and changed
without the ones above it. The check reads the source (imports anywhere in a file, including inside functions,
and model lookups by an "app.Model" string) of every module that is neither a test nor a migration.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_BELOW_ANALYTICS = {"core", "accounts", "messaging", "payments", "marketplace", "contracts", "support", "gigs",
                    "risk"}

# Lowest first. An app may import itself and the apps listed for it; nothing else of the project.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "accounts": {"core"},
    "messaging": {"accounts", "core"},
    "payments": {"messaging", "accounts", "core"},
    "marketplace": {"messaging", "accounts", "core"},
    "contracts": {"marketplace", "payments", "messaging", "accounts", "core"},
    "support": {"messaging", "accounts", "core"},
    # Services (gigs) and their orders, paid into escrow through the contracts' escrow services.
    "gigs": {"contracts", "marketplace", "payments", "messaging", "accounts", "core"},
    # Fraud signals: scores and cases from what payments, messaging and accounts report; payouts wait on it
    # through the hook payments defines (payments/holds.py).
    "risk": {"payments", "messaging", "accounts", "core"},
    "analytics": _BELOW_ANALYTICS,
    # Development only (the Stripe emulator, serve, seed_demo, the dev inbox); production does not install it.
    "devtools": _BELOW_ANALYTICS | {"analytics"},
    # Settings, urls, asgi, routing and Celery: the top, which puts the apps together.
    "megilance": _BELOW_ANALYTICS | {"analytics", "devtools"},
}

COMPUTED = "<computed>"
RELATION_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField"}
# Calls that load a module or a model named by a string: an import all the same.
STRING_LOOKUPS = {"get_model": "model lookup", "include": "url include", "import_module": "import by name",
                  "import_string": "import by name"}


@dataclass(frozen=True)
class Reference:
    """One place where `module` (in file `path`, at `line`) reaches `target` (a dotted module or app label)."""

    path: Path
    line: int
    module: str
    target: str
    how: str
    at_import_time: bool
    submodule: bool = False  # `from package import name` where name may be a module of the package

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def source_files() -> Iterator[tuple[str, Path]]:
    """(dotted module name, path) of every project module that is neither a test nor a migration."""
    for app in ALLOWED:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if {"tests", "migrations"} & set(parts) or parts[-1].startswith("test_") or parts[-1] == "conftest":
                continue
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module an `from ... import` names (relative imports resolved against the file's package)."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _string_target(node: ast.Call) -> tuple[str, str] | None:
    """(target, how) when the call names a model or a module of the project by a string literal."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    literal = node.args[0] if node.args else None
    if name in RELATION_FIELDS:
        literal = literal or next((kw.value for kw in node.keywords if kw.arg == "to"), None)
        how = "model relation"
    elif name in STRING_LOOKUPS:
        how = STRING_LOOKUPS[name]
    else:
        return None
    if not (isinstance(literal, ast.Constant) and isinstance(literal.value, str)):
        # A model looked up by a name worked out at run time could be any app's: the check cannot vouch for it.
        return (COMPUTED, "model lookup by a computed name") if name == "get_model" and literal else None
    if name == "get_model" and len(node.args) == 1:  # get_model("app.Model")
        return literal.value.split(".")[0], how
    if name in RELATION_FIELDS:
        return (literal.value.split(".")[0], how) if "." in literal.value else None
    return literal.value, how


def references(module: str, path: Path) -> Iterator[Reference]:
    """Every import and string lookup in the file, marked with whether it runs when the module is imported."""

    def visit(node: ast.AST, at_import_time: bool) -> Iterator[Reference]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Reference(path, node.lineno, module, alias.name, "import", at_import_time)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, path, node)
            yield Reference(path, node.lineno, module, base, "import", at_import_time)
            for alias in node.names:  # `from package import submodule` imports the submodule too
                if alias.name != "*":
                    yield Reference(path, node.lineno, module, f"{base}.{alias.name}", "import", at_import_time,
                                    submodule=True)
        elif isinstance(node, ast.Call) and (found := _string_target(node)):
            yield Reference(path, node.lineno, module, found[0], found[1], at_import_time)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            at_import_time = False
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.body:  # for the type checker only: never runs
                yield from visit(child, False)
            for child in node.orelse:
                yield from visit(child, at_import_time)
            return
        for child in ast.iter_child_nodes(node):
            yield from visit(child, at_import_time)

    yield from visit(ast.parse(path.read_text(), filename=str(path)), True)


def all_references(files: dict[str, Path] | None = None) -> list[Reference]:
    files = dict(source_files()) if files is None else files
    return [reference for module, path in files.items() for reference in references(module, path)]


def test_every_project_package_has_its_place_in_the_table() -> None:
    packages = {path.parent.name for path in ROOT.glob("*/apps.py")} | {"megilance"}
    assert packages == set(ALLOWED), "Give each app its line in ALLOWED (which apps it may import)."


def _app(module: str) -> str:
    return module.split(".")[0]


def test_apps_import_only_the_apps_below_them() -> None:
    broken = sorted({
        f"  {reference.where}: {_app(reference.module)} → {_app(reference.target)} ({reference.how} of "
        f"{reference.target}); {_app(reference.module)} may import only: "
        f"{', '.join(sorted(ALLOWED[_app(reference.module)])) or 'nothing of the project'}"
        for reference in all_references()
        if not reference.submodule
        and _app(reference.target) in ALLOWED
        and _app(reference.target) != _app(reference.module)
        and _app(reference.target) not in ALLOWED[_app(reference.module)]
    } | {
        f"  {reference.where}: {_app(reference.module)} looks a model up by a computed name; name it by an "
        f"import, or with a literal \"app.Model\" from an app it may import"
        for reference in all_references()
        if reference.target == COMPUTED and _app(reference.module) != "megilance"
    })
    if broken:
        pytest.fail("Imports against the layering:\n" + "\n".join(broken), pytrace=False)


Graph = dict[str, set[str]]


def _strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that import each other, directly or around a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                connect(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return groups


def _import_graph(files: dict[str, Path] | None = None) -> tuple[Graph, dict[tuple[str, str], Reference],
                                                                  list[Reference]]:
    """The modules each module imports when it is itself imported, where each edge comes from, and the
    imports that run later (inside functions)."""
    modules = dict(source_files()) if files is None else files
    graph: Graph = {module: set() for module in modules}
    edges: dict[tuple[str, str], Reference] = {}
    later: list[Reference] = []
    for reference in all_references(modules):
        if reference.how != "import":
            continue
        if not reference.at_import_time:
            if reference.target in modules and reference.target != reference.module:
                later.append(reference)
            continue
        parts = reference.target.split(".")
        # Importing a.b.c runs a/__init__, a/b/__init__ and a/b/c: each is a dependency.
        for target in (".".join(parts[:n]) for n in range(1, len(parts) + 1)):
            if target in modules and target != reference.module:
                graph[reference.module].add(target)
                edges.setdefault((reference.module, target), reference)
    return graph, edges, later


def test_no_import_circle_between_modules() -> None:
    """Only imports that run when a module is imported make a circle: an import inside a function runs later."""
    graph, edges, _ = _import_graph()
    circles = [group for group in _strongly_connected(graph) if len(group) > 1]
    report = []
    for group in circles:
        report.append("  circle: " + ", ".join(group))
        report.extend(f"    {edges[source, target].where}: {source} imports {target}"
                      for source in group for target in sorted(graph[source] & set(group)))
    if circles:
        pytest.fail("Modules that import each other:\n" + "\n".join(report), pytrace=False)


def _reaches(graph: Graph, start: str, goal: str) -> bool:
    seen, todo = {start}, [start]
    while todo:
        for successor in graph[todo.pop()] - seen:
            if successor == goal:
                return True
            seen.add(successor)
            todo.append(successor)
    return start == goal


def test_no_import_inside_a_function_closes_a_circle() -> None:
    """An import moved into a function to get round a circle hides the circle; it does not remove it."""
    graph, _, later = _import_graph()
    hidden = sorted({
        f"  {reference.where}: {reference.module} imports {target} inside a function, and {target} "
        f"imports {reference.module} when it loads"
        for reference in later
        if _reaches(graph, target := reference.target, reference.module)
    })
    if hidden:
        pytest.fail("Circles hidden in functions:\n" + "\n".join(hidden), pytrace=False)


def test_the_check_sees_imports_inside_functions_and_model_strings(tmp_path: Path) -> None:
    """The check itself: an import hidden in a function and a model named by a string both count."""
    path = tmp_path / "services.py"
    path.write_text(
        "from django.apps import apps\n"
        "from . import models\n"
        "def later():\n"
        "    from contracts.models import Contract\n"
        "    return apps.get_model('marketplace', 'Project'), apps.get_model('payments.LedgerEntry')\n"
        "def lookup(name):\n"
        "    return apps.get_model(SUBJECTS[name])\n"
    )
    found = {(reference.target, reference.how, reference.at_import_time)
             for reference in references("messaging.services", path)}
    assert ("contracts.models", "import", False) in found
    assert ("marketplace", "model lookup", False) in found
    assert ("payments", "model lookup", False) in found
    assert ("messaging.models", "import", True) in found
    assert (COMPUTED, "model lookup by a computed name", False) in found


def test_the_check_sees_circles_open_and_hidden(tmp_path: Path) -> None:
    (tmp_path / "mail.py").write_text("from . import tasks\n")
    (tmp_path / "tasks.py").write_text("def send():\n    from .mail import render\n")
    (tmp_path / "models.py").write_text("from .mail import render\n")
    files = {f"core.{name}": tmp_path / f"{name}.py" for name in ("mail", "tasks", "models")}

    graph, _, later = _import_graph(files)
    assert [group for group in _strongly_connected(graph) if len(group) > 1] == []
    assert [(reference.module, reference.target) for reference in later
            if _reaches(graph, reference.target, reference.module)] == [("core.tasks", "core.mail")]

    (tmp_path / "tasks.py").write_text("from .mail import render\n")
    graph, _, _ = _import_graph(files)
    assert [group for group in _strongly_connected(graph) if len(group) > 1] == [["core.mail", "core.tasks"]]
