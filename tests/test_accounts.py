"""Devices and accounts: secrets verify, only hashes are kept, revokes are noticed,
guessing is slowed down, and the command line shows a secret once and never again."""

from __future__ import annotations

import hashlib
import io
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import LV_HOLIDAYS, at, small_office

from queue_server.accounts import (
    SCRYPT,
    AccountError,
    Accounts,
    AlreadyInactive,
    InvalidAccount,
    LoginThrottle,
    UnknownDevice,
    UnknownUser,
    UsernameTaken,
    hashing,
)
from queue_server.cli import main
from queue_server.core import commands as c
from queue_server.store import Store, schema

ROOT = Path(__file__).resolve().parent.parent
OFFICE = small_office()
NOW = at("2026-11-30 08:00")
PASSWORD = "correct horse battery"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "rinda.sqlite"


@pytest.fixture
def accounts(path: Path) -> Iterator[Accounts]:
    with Accounts.open(path, OFFICE) as opened:
        yield opened


def file_bytes(path: Path) -> bytes:
    """The database as it lies on disk: the main file and its write-ahead log."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def counting_scrypt(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = hashlib.scrypt

    def scrypt(*args: object, **kwargs: object) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(hashing.hashlib, "scrypt", scrypt)
    return calls


# ------------------------------------------------------------------- devices


def test_a_device_token_verifies_and_wrong_ones_do_not(accounts: Accounts) -> None:
    kiosk, token = accounts.add_device("main", "kiosk", "Kiosk 1", NOW)
    display, other = accounts.add_device("main", "display", "Hall display", NOW)
    assert (kiosk.id, display.id) == ("d1", "d2")
    assert token.startswith("d1.") and len(token.split(".", 1)[1]) >= 43
    assert accounts.verify_device(token) == kiosk
    assert accounts.verify_device(other) == display
    secret = token.split(".", 1)[1]
    for wrong in (
        f"d2.{secret}",  # another device's id with this secret
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        "d1.",
        secret,
        "d9." + secret,
        "",
        token + "x" * 200,
    ):
        assert accounts.verify_device(wrong) is None, wrong


def test_a_revoked_device_no_longer_verifies_and_the_generation_changes(
    accounts: Accounts,
) -> None:
    device, token = accounts.add_device("branch", "display", "Display", NOW)
    before = accounts.generation()
    revoked = accounts.revoke_device(device.id, NOW + 1)
    assert revoked.revoked_at == NOW + 1 and not revoked.active
    assert accounts.generation() != before
    assert accounts.verify_device(token) is None
    assert not accounts.still_valid(device)
    assert accounts.list_devices() == [revoked]
    with pytest.raises(AlreadyInactive, match="already revoked"):
        accounts.revoke_device(device.id, NOW + 2)
    with pytest.raises(UnknownDevice, match="no device 'd7'"):
        accounts.revoke_device("d7", NOW + 2)


def test_device_input_is_checked_against_the_office(accounts: Accounts) -> None:
    with pytest.raises(InvalidAccount, match=r"Unknown division 'mian'.*Did you mean main"):
        accounts.add_device("mian", "kiosk", "Kiosk", NOW)
    with pytest.raises(InvalidAccount, match="kiosk or a display"):
        accounts.add_device("main", "printer", "Kiosk", NOW)
    with pytest.raises(InvalidAccount, match="needs a name"):
        accounts.add_device("main", "kiosk", "   ", NOW)
    assert accounts.list_devices() == []
    assert accounts.generation() == 0


# --------------------------------------------------------------------- users


def test_a_password_verifies_and_a_wrong_one_does_not(accounts: Accounts) -> None:
    user, password = accounts.add_user("Anna.Berzina", "clerk", ["main"], NOW, PASSWORD)
    assert (user.id, user.username, user.divisions, password) == (
        "u1",
        "anna.berzina",
        ("main",),
        PASSWORD,
    )
    assert accounts.verify_user("anna.berzina", PASSWORD) == user
    assert accounts.verify_user("ANNA.BERZINA", PASSWORD) == user
    assert accounts.verify_user("anna.berzina", PASSWORD.upper()) is None
    assert accounts.verify_user("anna.berzina", "") is None
    assert accounts.verify_user("someone.else", PASSWORD) is None
    assert user.may_work_in("main") and not user.may_work_in("branch")
    assert accounts.user("Anna.Berzina") == accounts.user_by_id("u1") == user
    assert accounts.user("nobody") is None and accounts.user_by_id("u9") is None


def test_a_generated_password_is_strong_and_works(accounts: Accounts) -> None:
    admin, password = accounts.add_user("boss", "admin", ["*"], NOW)
    assert len(password) >= 16 and password != PASSWORD
    assert accounts.verify_user("boss", password) == admin
    assert admin.all_divisions and admin.may_work_in("branch")


def test_a_disabled_account_no_longer_logs_in(accounts: Accounts) -> None:
    user, _ = accounts.add_user("anna", "clerk", ["main", "branch"], NOW, PASSWORD)
    before = accounts.generation()
    disabled = accounts.disable_user("anna", NOW + 5)
    assert disabled.disabled_at == NOW + 5
    assert accounts.generation() != before
    assert accounts.verify_user("anna", PASSWORD) is None
    assert not accounts.still_valid(user)
    with pytest.raises(AlreadyInactive, match="already disabled"):
        accounts.disable_user("anna", NOW + 6)
    with pytest.raises(AlreadyInactive, match="stays disabled"):
        accounts.set_password("anna", NOW + 6)


def test_a_new_password_replaces_the_old_and_ends_older_sessions(accounts: Accounts) -> None:
    session, _ = accounts.add_user("anna", "clerk", ["main"], NOW, PASSWORD)
    assert accounts.still_valid(session)
    generated = accounts.set_password("anna", NOW + 10)
    assert accounts.verify_user("anna", PASSWORD) is None
    renewed = accounts.verify_user("anna", generated)
    assert renewed is not None and renewed.password_changed_at == NOW + 10
    assert not accounts.still_valid(session)
    assert accounts.still_valid(renewed)
    assert accounts.set_password("anna", NOW + 10, "another long one") == "another long one"
    latest = accounts.verify_user("anna", "another long one")
    assert latest is not None and not accounts.still_valid(renewed)  # even in the same ms


def test_a_session_ends_by_the_count_of_password_changes_whatever_the_clocks_say(
    accounts: Accounts,
) -> None:
    """A server whose clock runs days behind the one that made the account keeps its
    sessions; a password change ends them even when stamped with an earlier clock."""
    user, _ = accounts.add_user("anna", "clerk", ["main"], NOW, PASSWORD)
    behind = NOW - 3 * 86_400_000
    token, expires = accounts.open_session(user, "main", behind, 3_600_000)
    assert accounts.verify_session("anna", token, "main", behind + 1) == user
    assert accounts.verify_session("anna", token, "main", expires) is None  # ran out
    accounts.set_password("anna", behind - 86_400_000)
    assert accounts.verify_session("anna", token, "main", behind + 2) is None
    renewed = accounts.verify_user("anna", accounts.set_password("anna", behind, "a new one!"))
    assert renewed is not None and renewed.credentials == 2
    fresh, _ = accounts.open_session(renewed, "main", NOW + 86_400_000, 3_600_000)
    assert accounts.verify_session("anna", fresh, "main", NOW + 86_400_001) == renewed


def test_user_input_is_checked_and_nothing_is_written_when_it_is_refused(
    accounts: Accounts,
) -> None:
    accounts.add_user("anna", "clerk", ["main"], NOW, PASSWORD)
    generation = accounts.generation()
    refused = [
        (("bob", "boss", ["main"]), InvalidAccount, "clerk or an admin"),
        (("bob", "clerk", ["riga-9"]), InvalidAccount, "Unknown division 'riga-9'"),
        (("bob", "clerk", []), InvalidAccount, "at least one division"),
        (("bob", "admin", ["*", "main"]), InvalidAccount, "not both"),
        (("bob", "clerk", "main"), InvalidAccount, "list of ids"),
        (("bo", "clerk", ["main"]), InvalidAccount, "3 to 64"),
        (("b" * 65, "clerk", ["main"]), InvalidAccount, "3 to 64"),
        (("bērziņš", "clerk", ["main"]), InvalidAccount, "ASCII"),
        (("bob smith", "clerk", ["main"]), InvalidAccount, "ASCII"),
        (("ANNA", "clerk", ["main"]), UsernameTaken, "taken"),
    ]
    for (username, role, divisions), error, message in refused:
        with pytest.raises(error, match=message):
            accounts.add_user(username, role, divisions, NOW, PASSWORD)
    with pytest.raises(InvalidAccount, match=r"too short.*at least 10"):
        accounts.add_user("bob", "clerk", ["main"], NOW, "short")
    with pytest.raises(InvalidAccount, match="too short"):
        accounts.set_password("anna", NOW, "123456789")
    with pytest.raises(UnknownUser, match="no account 'ghost'"):
        accounts.set_password("ghost", NOW)
    with pytest.raises(UnknownUser):
        accounts.disable_user("ghost", NOW)
    assert [u.username for u in accounts.list_users()] == ["anna"]
    assert accounts.generation() == generation
    assert all(issubclass(e, AccountError) for e in (InvalidAccount, UnknownUser))


def test_every_login_attempt_spends_one_scrypt_whoever_it_names(
    accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No timing oracle: unknown, disabled and malformed usernames cost a hash too."""
    accounts.add_user("anna", "clerk", ["main"], NOW, PASSWORD)
    accounts.add_user("olga", "clerk", ["main"], NOW, PASSWORD)
    accounts.disable_user("olga", NOW)
    calls = counting_scrypt(monkeypatch)
    for username in ("anna", "nobody", "olga", "x", "not ascii ā"):
        before = len(calls)
        accounts.verify_user(username, "a wrong password")
        assert len(calls) == before + 1, username
    check = accounts.password_check("nobody")
    assert check.user is None and check.params == SCRYPT
    assert "expected" not in repr(check) and "salt" not in repr(check)


def test_older_scrypt_parameters_still_verify(path: Path, accounts: Accounts) -> None:
    """Parameters are stored per hash, so raising SCRYPT later keeps old passwords working."""
    user, _ = accounts.add_user("anna", "clerk", ["main"], NOW, PASSWORD)
    weaker = hashing.ScryptParameters(n=2**10, r=8, p=1)
    salt = hashing.new_salt()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE users SET password_salt = ?, password_hash = ?, scrypt_n = ? WHERE id = ?",
            (salt.hex(), hashing.hash_password(PASSWORD, salt, weaker).hex(), weaker.n, user.id),
        )
    assert accounts.password_check("anna").params == weaker
    assert accounts.verify_user("anna", PASSWORD) is not None


# --------------------------------------------------------------- the file


def test_only_hashes_of_secrets_reach_the_file(path: Path) -> None:
    with Accounts.open(path, OFFICE) as accounts:
        _, token = accounts.add_device("main", "kiosk", "Kiosk 1", NOW)
        _, generated = accounts.add_user("boss", "admin", ["*"], NOW)
        accounts.add_user("anna", "clerk", ["main"], NOW, PASSWORD)
        new = accounts.set_password("anna", NOW + 1)
        on_disk_while_open = file_bytes(path)
    on_disk = file_bytes(path)
    secret = token.split(".", 1)[1]
    for plain in (secret, generated, PASSWORD, new):
        for raw in (on_disk_while_open, on_disk):
            assert plain.encode() not in raw
    assert b"boss" in on_disk  # the file is the right one: usernames are not secret
    with sqlite3.connect(path) as conn:
        (token_hash,) = conn.execute("SELECT token_hash FROM devices").fetchone()
        changes = conn.execute("SELECT actor, action, subject FROM account_changes").fetchall()
    assert re.fullmatch(r"[0-9a-f]{64}", token_hash)
    assert changes == [
        ("cli", "device_added", "d1"),
        ("cli", "user_added", "u1"),
        ("cli", "user_added", "u2"),
        ("cli", "password_set", "u2"),
    ]


def test_ids_count_up_and_are_never_reused(accounts: Accounts) -> None:
    for n in range(1, 12):
        device, _ = accounts.add_device("main", "display", f"Display {n}", NOW)
        assert device.id == f"d{n}"
    accounts.revoke_device("d11", NOW)
    assert accounts.add_device("main", "kiosk", "Kiosk", NOW)[0].id == "d12"
    assert [d.id for d in accounts.list_devices()][-3:] == ["d10", "d11", "d12"]
    accounts.add_user("anna", "clerk", ["main"], NOW, PASSWORD)
    accounts.disable_user("anna", NOW)
    assert accounts.add_user("berta", "clerk", ["main"], NOW, PASSWORD)[0].id == "u2"


def test_a_change_by_another_process_changes_the_generation(path: Path) -> None:
    """What a running server relies on to cut off what the CLI revoked."""
    with Accounts.open(path, OFFICE) as server, Accounts.open(path, OFFICE) as cli:
        device, token = cli.add_device("main", "kiosk", "Kiosk", NOW)
        seen = server.generation()
        assert server.verify_device(token) == device
        cli.revoke_device(device.id, NOW)
        assert server.generation() != seen
        assert not server.still_valid(device)
        seen = server.generation()
        with sqlite3.connect(path) as foreign:  # an admin's SQLite tool
            foreign.execute("UPDATE devices SET name = 'Kiosk A'")
        assert server.generation() != seen


def test_accounts_share_the_stores_connection_and_leave_no_transaction_open(
    path: Path,
) -> None:
    """The server uses one connection; the clerk id in events is the opaque user id."""
    with Store.open(path, OFFICE, LV_HOLIDAYS) as store:
        accounts = Accounts(store.db, OFFICE)
        user, _ = accounts.add_user("anna", "clerk", ["main"], NOW, PASSWORD)
        assert accounts.verify_user("anna", PASSWORD) == user
        assert not store.db.conn.in_transaction
        store.execute("main", c.OpenCounter("1", user.id), at("2026-11-30 08:50"))
    with sqlite3.connect(path) as conn:
        data = [row[0] for row in conn.execute("SELECT data FROM events")]
    assert any('"u1"' in row for row in data)
    assert not any("anna" in row for row in data)


def test_a_change_inside_a_callers_transaction_goes_with_it(path: Path) -> None:
    with Store.open(path, OFFICE, LV_HOLIDAYS) as store:
        accounts = Accounts(store.db, OFFICE)
        with pytest.raises(RuntimeError), store.db.atomic():
            accounts.add_device("main", "kiosk", "Kiosk", NOW)
            raise RuntimeError("the caller's work failed")
        assert accounts.list_devices() == [] and accounts.generation() == 0
        with store.db.atomic():
            accounts.add_device("main", "kiosk", "Kiosk", NOW)
        assert [d.id for d in accounts.list_devices()] == ["d1"]
        assert not store.db.conn.in_transaction


def test_the_cli_and_the_store_open_the_same_file_in_either_order(path: Path) -> None:
    assert "accounts" in schema.KNOWN
    Store.open(path, OFFICE, LV_HOLIDAYS).close()
    with Accounts.open(path) as accounts:  # without an office, any division id is taken
        accounts.add_device("riga-1", "kiosk", "Kiosk", NOW)
    with Store.open(path, OFFICE, LV_HOLIDAYS) as store:
        assert Accounts(store.db).list_devices()[0].id == "d1"


# ------------------------------------------------------------------ throttle


def test_three_failures_are_free_then_the_throttle_waits_1_2_4_then_8_seconds() -> None:
    throttle = LoginThrottle(free_failures=3, first_delay=1.0, max_delay=8.0)
    delays = []
    now = 100.0
    for _ in range(9):
        delays.append(throttle.delay("10.0.0.7", now))
        now += delays[-1]
        throttle.failed("10.0.0.7", now)
    delays.append(throttle.delay("10.0.0.7", now))
    assert delays == [0, 0, 0, 1, 2, 4, 8, 8, 8, 8]
    assert throttle.delay("10.0.0.8", now) == 0  # other sources are not slowed


def test_a_success_or_a_quiet_period_resets_the_throttle() -> None:
    throttle = LoginThrottle(free_failures=3, max_delay=8.0, forget_after=600.0)
    for t in range(5):
        for source in ("a", "b", "c"):
            throttle.failed(source, float(t))
    assert throttle.delay("a", 4.0) == 4.0
    throttle.succeeded("a")
    assert throttle.delay("a", 4.0) == 0
    throttle.failed("b", 4.0 + 599.0)  # not quiet long enough: the 6th failure
    assert throttle.delay("b", 603.0) == 8.0
    throttle.failed("c", 4.0 + 600.0)  # quiet long enough: a first failure again
    assert throttle.delay("c", 604.0) == 0


def test_parallel_attempts_from_one_source_queue_up() -> None:
    throttle = LoginThrottle(free_failures=1, first_delay=1.0, max_delay=8.0)
    throttle.failed("a", 0.0)
    waits = [throttle.admit("a", 0.0) for _ in range(4)]
    assert waits == [1.0, 2.0, 3.0, 4.0]


def test_the_throttle_forgets_the_oldest_sources_beyond_its_bound() -> None:
    throttle = LoginThrottle(free_failures=1, first_delay=1000.0, max_delay=1000.0, max_sources=100)
    for n in range(250):
        throttle.failed(f"10.0.{n // 256}.{n % 256}", float(n))
    assert len(throttle) == 100
    assert throttle.delay("10.0.0.0", 250.0) == 0
    assert throttle.delay("10.0.0.249", 250.0) > 0


# ---------------------------------------------------------------------- CLI


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_device_add_prints_the_token_once_and_list_never(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "device", "add", path, "--division", "riga-1", "--kind", "kiosk", "--name", "K 1"
    )
    assert code == 0 and "cannot be shown again" in out
    token = out.strip().splitlines()[-1]
    with Accounts.open(path) as accounts:
        device = accounts.verify_device(token)
        assert device is not None and device.division == "riga-1"
    code, out, _ = run(capsys, "device", "list", path)
    assert code == 0 and "d1" in out and "riga-1" in out and "K 1" in out
    assert token.split(".", 1)[1] not in out
    code, out, _ = run(capsys, "device", "revoke", path, "d1")
    assert code == 0 and "Revoked" in out
    with Accounts.open(path) as accounts:
        assert accounts.verify_device(token) is None
    code, out, _ = run(capsys, "device", "list", path)
    assert token.split(".", 1)[1] not in out
    assert not out.splitlines()[1].endswith(" -")  # the REVOKED column has a time now


def test_user_commands_print_a_password_once_and_list_never(
    path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(
        capsys, "user", "add", path, "anna", "--role", "clerk", "--division", "riga-1",
        "--division", "riga-2",
    )  # fmt: skip
    assert code == 0 and "cannot be shown again" in out
    first = out.strip().splitlines()[-1]
    code, out, _ = run(capsys, "user", "add", path, "boss", "--role", "admin", "--all-divisions")
    assert code == 0 and "all divisions" in out
    code, out, _ = run(capsys, "user", "passwd", path, "anna")
    second = out.strip().splitlines()[-1]
    assert code == 0 and second != first
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, out, _ = run(capsys, "user", "passwd", path, "anna", "--password-stdin")
    assert code == 0 and PASSWORD not in out
    with Accounts.open(path) as accounts:
        assert accounts.verify_user("anna", first) is None
        assert accounts.verify_user("anna", second) is None
        anna = accounts.verify_user("anna", PASSWORD)
        assert anna is not None and anna.divisions == ("riga-1", "riga-2")
    code, out, _ = run(capsys, "user", "list", path)
    assert code == 0 and "anna" in out and "riga-1,riga-2" in out and "*" in out
    assert first not in out and second not in out and PASSWORD not in out
    code, out, _ = run(capsys, "user", "disable", path, "anna")
    assert code == 0 and "can no longer log in" in out
    with Accounts.open(path) as accounts:
        assert accounts.verify_user("anna", PASSWORD) is None


@pytest.mark.parametrize(
    ("argv", "sentence"),
    [
        (
            ("device", "add", "{db}", "--division", "riga-99", "--kind", "kiosk", "--name", "K"),
            "Unknown division 'riga-99'",
        ),
        (
            ("device", "add", "{db}", "--division", "riga-1", "--kind", "tv", "--name", "K"),
            "kiosk or a display",
        ),
        (("user", "add", "{db}", "anna", "--role", "boss", "--division", "riga-1"), "clerk or"),
        (("user", "add", "{db}", "anna", "--role", "clerk"), "--division ID"),
        (("user", "passwd", "{db}", "ghost"), "no account 'ghost'"),
        (("user", "disable", "{db}", "ghost"), "no account 'ghost'"),
        (("device", "revoke", "{db}", "d42"), "no device 'd42'"),
        (("device", "list", "{missing}"), "does not exist"),
    ],
)
def test_bad_input_exits_2_with_a_sentence_and_no_traceback(
    path: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], sentence: str
) -> None:
    Accounts.open(path).close()
    args = [a.format(db=path, missing=path.with_name("missing.sqlite")) for a in argv]
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert sentence in err and err.startswith("rinda-server: ") and "Traceback" not in err
    assert not path.with_name("missing.sqlite").exists()


def test_a_short_password_from_stdin_is_refused(
    path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, out, err = run(
        capsys, "user", "add", path, "anna", "--role", "clerk", "--division", "riga-1",
        "--password-stdin",
    )  # fmt: skip
    assert code == 2 and out == "" and "too short" in err and "at least 10" in err
    with Accounts.open(path) as accounts:
        assert accounts.list_users() == []


def test_the_document_covers_every_command() -> None:
    doc = (ROOT / "docs" / "accounts.md").read_text(encoding="utf-8")
    for command in (
        "device add",
        "device list",
        "device revoke",
        "user add",
        "user list",
        "user disable",
        "user passwd",
    ):
        assert f"rinda-server {command}" in doc, command
