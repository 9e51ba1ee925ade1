"""The shape DESIGN.md promises: a pure core, and documents that match the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from queue_server.core import CODES, TRANSITIONS
from queue_server.core import commands as c
from queue_server.core import events as e

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "queue_server" / "core"
FORBIDDEN = {"asyncio", "sqlite3", "sqlite_utils", "websockets", "kivy", "socket", "threading"}
CORE_DOC = (ROOT / "docs" / "core.md").read_text(encoding="utf-8")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_core_imports_no_io_library():
    for path in sorted(CORE.glob("*.py")):
        bad = imported_modules(path) & FORBIDDEN
        assert not bad, f"{path.name} imports {sorted(bad)}"


def test_the_core_reads_no_clock_and_no_randomness():
    for path in sorted(CORE.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for call in ("time.time(", "datetime.now(", "date.today(", "random.", "uuid."):
            assert call not in text, f"{path.name} calls {call}: time and ids come in"
        assert "open(" not in re.sub(r"_?open\w*\(|\w+_open\(", "", text), path.name


def test_every_error_code_is_documented():
    for code in CODES:
        assert f"`{code}`" in CORE_DOC, f"docs/core.md misses the error code {code}"


def test_every_legal_move_is_in_the_documented_table():
    rows = set(re.findall(r"^\|\s*`(\w+)`\s*\|\s*`(\w+)`\s*\|", CORE_DOC, re.MULTILINE))
    table = {(status.value, action) for status, action in TRANSITIONS}
    assert rows == table, f"only in code: {table - rows}; only in doc: {rows - table}"


def test_every_command_and_event_is_documented():
    for name in c.Command.__args__:  # type: ignore[attr-defined]
        assert f"`{name.__name__}`" in CORE_DOC, f"docs/core.md misses command {name.__name__}"
    for kind in e.EVENT_TYPES:
        assert f"`{kind}`" in CORE_DOC, f"docs/core.md misses event {kind}"
