"""Every clause a case's messages can name is in that case's clause list.

A FAIL that names a clause its case does not cite (a message_id FAIL said
WE-9 in chunking cases that cite NP-14 and WE-3) sends the reader to the
wrong sentence and is counted under the wrong clause in the coverage. This
reads each case's code, and the case-module helpers it calls (directly or
through other helpers, across case modules), for clause ids written in it.

Not counted: the suite's shared helpers (suite/drive.py, reference_server.py,
naming.py, context.py). They name what every case of a role rests on,
before or around the case's own subject: connecting at the derived name
(NP-2, or NP-1 for a byte-type pipe), the first message and its answer
(NP-7, NP-8), a write to a peer that left (NP-17); and a clause a
ContractError carries from the reference decoder, known only at run time.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

import netipc_conformance.cases as cases_pkg

CLAUSE = re.compile(r"^(NP|WE)-\d+$")


def case_functions():
    for module_info in pkgutil.iter_modules(cases_pkg.__path__):
        module = importlib.import_module(f"{cases_pkg.__name__}.{module_info.name}")
        for value in vars(module).values():
            info = getattr(value, "netipc_case", None)
            if info is not None and getattr(value, "__module__", "") == module.__name__:
                # A variant runs its case's body: the body's code is what names clauses.
                yield module, getattr(value, "netipc_body", value).__name__, info


_TREES: dict[str, dict[str, ast.FunctionDef]] = {}


def functions_of(module) -> dict[str, ast.FunctionDef]:
    """Module-level functions by name, with names imported from other case modules."""
    if module.__name__ in _TREES:
        return _TREES[module.__name__]
    tree = ast.parse(Path(inspect.getsourcefile(module)).read_text(encoding="utf-8"))
    found: dict[str, ast.FunctionDef] = {}
    _TREES[module.__name__] = found
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = node
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            other = sys.modules.get(
                f"{cases_pkg.__name__}.{node.module}"
            ) or importlib.import_module(f"{cases_pkg.__name__}.{node.module}")
            theirs = functions_of(other)
            for alias in node.names:
                if alias.name in theirs:
                    found.setdefault(alias.asname or alias.name, theirs[alias.name])
    return found


def named_clauses(function: ast.FunctionDef, known: dict[str, ast.FunctionDef]) -> set[str]:
    """Clause ids written in the function (not its decorators) and the helpers it calls."""
    seen: set[int] = set()
    names: set[str] = set()
    todo = [function]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        body = [*node.body, node.args]
        for part in body:
            for sub in ast.walk(part):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    if CLAUSE.match(sub.value):
                        names.add(sub.value)
                elif isinstance(sub, ast.Name) and sub.id in known:
                    todo.append(known[sub.id])
    return names


def test_every_named_clause_is_cited():
    # Variants share one body, which picks a variant's clause at run time: the
    # code is held to the clauses of all its case's variants together.
    cited: dict[str, set[str]] = {}
    for _, _, info in case_functions():
        cited.setdefault(info.parent or info.id, set()).update(info.clauses)
    wrong = []
    for module, name, info in case_functions():
        known = functions_of(module)
        named = named_clauses(known[name], known)
        extra = sorted(named - cited[info.parent or info.id])
        if extra:
            wrong.append(f"{info.id} ({name}) names {extra}, cites {list(info.clauses)}")
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_a_clause_in_a_helper():
    """Mutation check: a helper's clause is seen through the call."""
    source = (
        "def helper(ctx):\n    expect(x, 'WE-9', 'f', 1, 2)\n\n"
        "def test_x(ctx, clause='NP-14'):\n    helper(ctx)\n"
    )
    tree = ast.parse(source)
    known = {n.name: n for n in tree.body}
    assert named_clauses(known["test_x"], known) == {"WE-9", "NP-14"}
