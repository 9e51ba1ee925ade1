"""The systemd units in deploy/systemd: valid for systemd, hardened, restarting, and
every command they run is a real command line of our programs."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from queue_server.cli import build_parser
from tests.conftest import TIMEOUT

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "deploy" / "systemd"
#: Where the units expect Rinda's virtual environment (docs/operations.md).
INSTALLED = "/opt/rinda/.venv/bin/"
VENV_BIN = Path(sys.executable).parent
SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
SERVICES = sorted(UNITS.glob("*.service"))
TIMERS = sorted(UNITS.glob("*.timer"))
#: The programs that run for as long as the machine does.
LONG_RUNNING = ("rinda-server.service", "rinda-kiosk.service", "rinda-display.service")
#: The value systemd gives ${CREDENTIALS_DIRECTORY} (any path will do for parsing).
CREDENTIALS = "/run/credentials/rinda.service"

Unit = dict[str, list[tuple[str, str]]]


def read_unit(path: Path) -> Unit:
    """Sections of (key, value) pairs in order: systemd keys may repeat (ExecStartPost)."""
    sections: Unit = {}
    current: list[tuple[str, str]] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, equals, value = line.partition("=")
        assert equals and current is not None, f"{path.name}:{number}: not key=value: {line}"
        current.append((key.strip(), value.strip()))
    return sections


def values(unit: Unit, section: str, key: str) -> list[str]:
    return [value for name, value in unit.get(section, []) if name == key]


def value(unit: Unit, section: str, key: str) -> str:
    found = values(unit, section, key)
    assert len(found) == 1, f"[{section}] {key}: {found}"
    return found[0]


def rinda_commands() -> list[tuple[str, list[str]]]:
    """Every Exec line that runs one of our programs: (unit name, argv)."""
    commands = []
    for path in SERVICES:
        unit = read_unit(path)
        for key in ("ExecStartPre", "ExecStart", "ExecStartPost", "ExecStop"):
            for line in values(unit, "Service", key):
                argv = shlex.split(line.lstrip("-@+!:"))
                if argv[0].startswith(f"{INSTALLED}rinda-"):
                    commands.append((path.name, argv))
    return commands


COMMANDS = rinda_commands()


def installed(program: str) -> Path:
    name = program.removeprefix(INSTALLED)
    assert name in SCRIPTS, f"{name} is not a console script of pyproject.toml [project.scripts]"
    found = VENV_BIN / name
    assert found.exists(), f"{found} is missing: run scripts/setup to install the scripts"
    return found


def test_the_units_are_all_there() -> None:
    names = {path.name for path in UNITS.iterdir()}
    assert {
        "rinda-server.service",
        "rinda-kiosk.service",
        "rinda-display.service",
        "rinda-backup.service",
        "rinda-backup.timer",
        "rinda-purge.service",
        "rinda-purge.timer",
    } <= names


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_every_service_runs_as_its_own_user_and_is_hardened(path: Path) -> None:
    unit = read_unit(path)
    assert value(unit, "Unit", "Description")
    assert value(unit, "Service", "User").startswith("rinda")
    assert value(unit, "Service", "NoNewPrivileges") == "yes"
    assert value(unit, "Service", "PrivateTmp") == "yes"
    assert value(unit, "Service", "ProtectSystem") == "strict"
    assert value(unit, "Service", "ProtectHome") == "yes"
    assert values(unit, "Service", "ExecStart"), "no ExecStart"
    for line in values(unit, "Service", "ExecStart"):
        assert shlex.split(line)[0].startswith("/"), "systemd wants absolute program paths"


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_the_programs_start_on_boot_and_come_back_after_a_failure(name: str) -> None:
    unit = read_unit(UNITS / name)
    assert value(unit, "Service", "Restart") in ("on-failure", "always")
    assert value(unit, "Unit", "StartLimitIntervalSec") == "0", "never give up restarting"
    assert value(unit, "Install", "WantedBy") == "multi-user.target"
    # A settings problem exits with 2: restarting cannot fix it.
    assert value(unit, "Service", "RestartPreventExitStatus") == "2"


@pytest.mark.parametrize("name", ["rinda-kiosk.service", "rinda-display.service"])
def test_the_lobby_screens_get_their_devices_and_a_session(name: str) -> None:
    unit = read_unit(UNITS / name)
    groups = value(unit, "Service", "SupplementaryGroups").split()
    assert {"video", "render", "audio"} <= set(groups)
    if name == "rinda-kiosk.service":
        assert {"input", "lp"} <= set(groups), "the touchscreen and the USB printer"
    assert not values(unit, "Service", "PrivateDevices"), "it needs /dev/dri, /dev/snd, ..."
    assert value(unit, "Service", "PAMName") == "login"
    assert value(unit, "Service", "TTYPath") == "/dev/tty1"
    assert "SDL_VIDEODRIVER=kmsdrm" in values(unit, "Service", "Environment")


def test_the_server_keeps_its_key_away_from_its_user() -> None:
    unit = read_unit(UNITS / "rinda-server.service")
    assert value(unit, "Service", "PrivateDevices") == "yes"
    credentials = values(unit, "Service", "LoadCredential")
    assert "tls.key:/etc/rinda/tls/rinda.key" in credentials
    assert "--key ${CREDENTIALS_DIRECTORY}/tls.key" in value(unit, "Service", "ExecStart")


@pytest.mark.parametrize("path", TIMERS, ids=lambda p: p.name)
def test_every_timer_starts_a_oneshot_service_that_exists(path: Path) -> None:
    unit = read_unit(path)
    assert value(unit, "Timer", "OnCalendar")
    assert value(unit, "Timer", "Persistent") == "true"
    assert value(unit, "Install", "WantedBy") == "timers.target"
    service = read_unit(UNITS / value(unit, "Timer", "Unit"))
    assert value(service, "Service", "Type") == "oneshot"


def check_command_line(argv: list[str], where: str) -> None:
    """Each option is in the program's --help, and rinda-server's parser takes it whole."""
    program = installed(argv[0])
    args = [arg.replace("${CREDENTIALS_DIRECTORY}", CREDENTIALS) for arg in argv[1:]]
    command = [str(program)]
    if program.name == "rinda-server":
        build_parser().parse_args(args)  # exits 2 on an unknown command or option
        command += args[:2] if args[0] in ("device", "user") else args[:1]
    shown = subprocess.run(
        [*command, "--help"], capture_output=True, text=True, timeout=TIMEOUT * 6
    )
    assert shown.returncode == 0, shown.stderr
    for option in (arg for arg in args if arg.startswith("--")):
        assert re.search(rf"(^|\s){re.escape(option)}\b", shown.stdout), (
            f"{where}: `{' '.join(command)}` has no option {option}"
        )


def documented_commands() -> list[list[str]]:
    """The command lines of our programs in docs/operations.md's shell and unit blocks."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```(?:sh|ini)\n(.*?)```", text, re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line.removeprefix("ExecStart="), comments=True)
            starts = [i for i, word in enumerate(words) if word.startswith(f"{INSTALLED}rinda-")]
            if starts:
                argv = words[starts[0] :]
                ends = [i for i, word in enumerate(argv) if word in SHELL_OPERATORS]
                found.append(argv[: ends[0]] if ends else argv)
    return found


SHELL_OPERATORS = {">", ">>", "&", "&&", "|", "||", ";", "2>"}
DOCUMENTED = documented_commands()


@pytest.mark.parametrize(
    ("unit", "argv"), COMMANDS, ids=[f"{unit}:{' '.join(a[:2])}" for unit, a in COMMANDS]
)
def test_every_command_of_the_units_is_a_real_command_line(unit: str, argv: list[str]) -> None:
    check_command_line(argv, unit)


@pytest.mark.parametrize("argv", DOCUMENTED, ids=[" ".join(a[:3]) for a in DOCUMENTED])
def test_every_command_in_the_operations_guide_is_a_real_command_line(argv: list[str]) -> None:
    check_command_line(argv, "docs/operations.md")


def test_the_operations_guide_shows_every_command_it_needs() -> None:
    shown = {" ".join(argv[1:3]) for argv in DOCUMENTED}
    for needed in (
        "serve --db",
        "backup /var/lib/rinda/rinda.sqlite",
        "purge /var/lib/rinda/rinda.sqlite",
    ):
        assert needed in shown, needed


def test_the_backup_service_writes_a_backup_that_opens(tmp_path: Path) -> None:
    """Its rinda-server command, run on a real database, writes a usable copy."""
    (argv,) = [a for unit, a in COMMANDS if unit == "rinda-backup.service"]
    db, dest = tmp_path / "rinda.sqlite", tmp_path / "backups" / "rinda-latest.sqlite"
    dest.parent.mkdir()
    listed = [str(installed(argv[0])), "device", "add", str(db)]
    subprocess.run(
        [*listed, "--division", "riga-1", "--kind", "kiosk", "--name", "Kiosk 1"],
        check=True,
        capture_output=True,
        timeout=TIMEOUT * 6,
    )
    args = [str(db) if a == "/var/lib/rinda/rinda.sqlite" else a for a in argv[1:]]
    args = [str(dest) if a.endswith("/rinda-latest.sqlite") else a for a in args]
    args = args[: args.index("--config")]  # the shipped configuration stands in for the office's
    done = subprocess.run([argv[0].replace(INSTALLED, f"{VENV_BIN}/"), *args], timeout=60)
    assert done.returncode == 0
    shown = subprocess.run(
        [str(VENV_BIN / "rinda-server"), "device", "list", str(dest)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 6,
    )
    assert "Kiosk 1" in shown.stdout


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_every_unit(tmp_path: Path) -> None:
    """``systemd-analyze verify`` finds no unknown key, bad value or missing unit.

    It also wants each program to exist: the units are copied with their programs
    pointed at stand-ins (the real programs are checked above).
    """
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in {Path(argv[0]).name for _, argv in COMMANDS}:
        stand_in = bin_dir / name
        stand_in.write_text("#!/bin/sh\n", encoding="ascii")
        stand_in.chmod(0o755)
    copies = []
    for path in [*SERVICES, *TIMERS]:
        copy = tmp_path / path.name
        copy.write_text(path.read_text(encoding="utf-8").replace(INSTALLED, f"{bin_dir}/"))
        copies.append(str(copy))
    for program in {shlex.split(line)[0] for copy in copies for line in _exec_lines(copy)}:
        if not os.access(program, os.X_OK):
            pytest.skip(f"{program} is not on this machine (systemd-analyze wants it)")
    checked = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *copies],
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 6,
    )
    ours = [
        line
        for line in (checked.stdout + checked.stderr).splitlines()
        if str(tmp_path) in line or "rinda" in line
    ]
    assert checked.returncode == 0 and not ours, "\n".join(ours) or checked.stderr


def _exec_lines(path: str) -> list[str]:
    unit = read_unit(Path(path))
    return [
        line.lstrip("-@+!:")
        for key in ("ExecStartPre", "ExecStart", "ExecStartPost", "ExecStop")
        for line in values(unit, "Service", key)
    ]
