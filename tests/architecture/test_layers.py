"""Architecture rules as code: the core stays pure, arrows point inward only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "confide"
# What each core package may import from confide itself; everything else must be stdlib.
ALLOWED_INTERNAL = {
    "domain": ("confide.domain",),
    "policy": ("confide.domain", "confide.policy"),
    "vault": ("confide.domain", "confide.vault"),
    "audit": ("confide.domain", "confide.audit"),
}
# Third-party packages a core package may use: the vault needs a vetted crypto library.
ALLOWED_THIRD_PARTY = {"vault": {"cryptography"}, "audit": {"cryptography"}}
# Modules that would let the core do I/O or read the clock behind the caller's back.
FORBIDDEN_STDLIB = {"os", "socket", "sqlite3", "subprocess", "logging", "time", "random"}
# The vault draws nonces and keys from the OS (os.urandom, secrets) and owns the key file.
# The audit package owns its signing-key file the same way.
_MAY_USE = {"vault": {"os"}, "audit": {"os"}}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _core_modules() -> list[tuple[str, Path]]:
    return [(pkg, f) for pkg in ALLOWED_INTERNAL for f in sorted((SRC / pkg).rglob("*.py"))]


@pytest.mark.parametrize(("package", "path"), _core_modules(), ids=str)
def test_the_core_imports_only_the_standard_library_and_inner_layers(
    package: str, path: Path
) -> None:
    for name in _imports(path):
        top = name.split(".")[0]
        if top == "confide":
            assert name.startswith(ALLOWED_INTERNAL[package]), f"{path.name} imports {name}"
        elif top != "__future__" and top not in ALLOWED_THIRD_PARTY.get(package, set()):
            assert top in sys.stdlib_module_names, f"{path.name} imports {name} (not stdlib)"
            assert top not in FORBIDDEN_STDLIB - _MAY_USE.get(package, set()), (
                f"{path.name} imports {name} (I/O or clock)"
            )


def test_the_core_never_reads_the_clock() -> None:
    for _, path in _core_modules():
        text = path.read_text()
        for call in ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time("):
            assert call not in text, f"{path.name} calls {call}"


def _shell_modules() -> list[Path]:
    return sorted([*(SRC / "api").rglob("*.py"), *(SRC / "web").rglob("*.py")])


@pytest.mark.parametrize("path", _shell_modules(), ids=str)
def test_the_api_and_pages_never_touch_the_store(path: Path) -> None:
    # Every endpoint and page goes through the services, so every read is decided and audited there.
    for name in _imports(path):
        assert not name.startswith(("confide.store", "sqlalchemy", "psycopg", "sqlite3")), (
            f"{path.name} imports {name}: call a service instead"
        )
    assert "deps.engine" not in path.read_text(), f"{path.name} uses the engine directly"
