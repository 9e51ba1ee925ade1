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


#: The product's only reads of the time of day (docs/time.md): the one clock, and the
#: log lines' own stamp.
CLOCK_READERS = {"queue_server/clock.py", "queue_server/server/logs.py"}
WALL_CLOCK = re.compile(r"\btime\.time\(|\bdatetime\.now\(|\bdate\.today\(|\butcnow\(")


def test_the_product_reads_the_time_of_day_only_through_its_one_clock():
    """Everything else takes a ``queue_server.clock`` clock passed in, so no decision
    compares instants of two clocks."""
    found = []
    for package in ("queue_server", "kiosk", "display", "demo"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name in CLOCK_READERS:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if WALL_CLOCK.search(line.split("#")[0]):
                    found.append(f"{name}:{number}: {line.strip()}")
    assert not found, "read the clock passed in instead:\n" + "\n".join(found)


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
