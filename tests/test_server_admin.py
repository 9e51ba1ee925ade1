"""What admins do from the console, through a real server: live configuration, free
booking slots and the caller's contact, devices and clerk accounts of the division,
statistics, the audit trail, and the presence of kiosks and displays."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date

import pytest

from queue_server.client import RequestFailed, RindaClient
from queue_server.config import load_office
from queue_server.core import DivisionState
from queue_server.core import commands as c
from tests.conftest import LV_HOLIDAYS, TIMEOUT, at
from tests.conftest_server import admin, clerk, display, kiosk, read_until
from tests.serverkit import DIVISION, ServerProcess


async def refused(client: RindaClient, request: str, /, **fields) -> str:
    with pytest.raises(RequestFailed) as error:
        await client.request(request, **fields)
    return error.value.code


def counter_of(state: dict, counter: str) -> dict:
    return next(k for k in state["division"]["counters"] if k["id"] == counter)


def test_a_counter_changed_live_reaches_the_lobby_and_outlives_a_restart(tmp_path):
    server = ServerProcess(tmp_path)
    with server:

        async def change() -> tuple[dict, dict, list[str]]:
            async with admin(server) as boss, display(server) as screen:
                await screen.next_message(TIMEOUT)  # the first snapshot
                reply = await boss.request(
                    "configure_counter",
                    counter="3",
                    services=["residence", "passport"],
                    accessibility=["lowered_desk", "hearing_loop"],
                    note={"lv": "Pazemināta lete", "en": "Lowered desk"},
                )
                again = await boss.request(
                    "configure_counter", counter="3", services=["residence", "passport"]
                )
                assert again["seq"] == []  # the same settings record nothing
                fresh = await read_until(screen, lambda m: m["type"] == "snapshot")
                codes = [
                    await refused(boss, "configure_counter", counter="3", accessibility=["x"]),
                    await refused(boss, "configure_counter", counter="99", services=["passport"]),
                    await refused(
                        boss, "configure_counter", counter="3", services=["passport", "passport"]
                    ),
                ]
                return reply, fresh[-1], codes

        reply, fresh, codes = asyncio.run(change())
        assert reply["events"][0]["type"] == "counter_configured"
        shown = counter_of(fresh, "3")
        assert shown["services"] == ["residence", "passport"]
        assert shown["accessibility"] == ["lowered_desk", "hearing_loop"]
        assert shown["note"] == {"lv": "Pazemināta lete", "en": "Lowered desk"}
        # The English-only note is fine: it is not required; an unknown code is not.
        assert codes[0] == "invalid_configuration"
        assert codes[1] == "unknown_counter"
        assert codes[2] == "repeated_service"
        server.restart()

        async def after() -> dict:
            async with admin(server) as boss:
                return (await boss.request("snapshot"))["snapshot"]

        snapshot = asyncio.run(after())
    assert counter_of(snapshot, "3")["services"] == ["residence", "passport"]
    assert counter_of(snapshot, "3")["note"]["lv"] == "Pazemināta lete"


def test_a_counter_cannot_drop_the_last_service_visitors_wait_for(tmp_path):
    with ServerProcess(tmp_path) as server:

        async def run() -> str:
            async with admin(server) as boss, clerk(server, "clerk1", "6") as desk:
                await desk.request("open")
                async with kiosk(server) as k:
                    await k.request("issue", key="c1", services=["consultation"])
                # Counter 6 is the only one in riga-1 serving consultations? Take them
                # away from every counter that serves them, the last one is refused.
                snapshot = (await boss.request("snapshot"))["snapshot"]
                serving = [
                    k["id"]
                    for k in snapshot["division"]["counters"]
                    if "consultation" in k["services"]
                ]
                for counter in serving[:-1]:
                    rest = [
                        s for s in counter_of(snapshot, counter)["services"] if s != "consultation"
                    ]
                    await boss.request("configure_counter", counter=counter, services=rest)
                last = serving[-1]
                rest = [s for s in counter_of(snapshot, last)["services"] if s != "consultation"]
                return await refused(boss, "configure_counter", counter=last, services=rest)

        assert asyncio.run(run()) == "service_still_waiting"


def test_a_service_changed_in_one_division_changes_its_kiosks_only(tmp_path):
    with ServerProcess(tmp_path) as server:

        async def run() -> tuple[dict, dict, str, dict]:
            async with admin(server) as boss, clerk(server, "clerk1", "1") as desk:
                await desk.request("open")
                await boss.request(
                    "configure_service",
                    service="passport",
                    prefix="Z",
                    expected_minutes=12,
                    bring={"lv": "Personas apliecība", "en": "An identity card"},
                )
                await boss.request(
                    "set_notes", notes={"lv": "Lifts pa labi.", "en": "The lift is on the right."}
                )
                await boss.request(
                    "configure_priority",
                    priority=next(iter(load_office().priorities)),
                    label={"lv": "Jauna etiķete", "en": "New label"},
                )
                bad = await refused(
                    boss, "configure_service", service="passport", name={"en": "no Latvian"}
                )
                async with kiosk(server) as k:
                    mine = (await k.request("snapshot"))["snapshot"]
                    ticket = (await k.request("issue", key="z", services=["passport"]))["ticket"]
                other = RindaClient(
                    server.url, division="liepaja", token=server.devices["other_kiosk"]
                )
                async with other:
                    theirs = (await other.request("snapshot"))["snapshot"]
                return mine, theirs, ticket["number"] + "|" + bad, ticket

        mine, theirs, number_and_code, _ = asyncio.run(run())
    number, code = number_and_code.split("|")
    passport = next(s for s in mine["division"]["services"] if s["id"] == "passport")
    assert passport["prefix"] == "Z" and passport["bring"]["en"] == "An identity card"
    assert number.startswith("Z")
    assert mine["division"]["notes"]["en"] == "The lift is on the right."
    assert "New label" in [p["label"].get("en") for p in mine["division"]["priorities"]]
    elsewhere = next(s for s in theirs["division"]["services"] if s["id"] == "passport")
    assert elsewhere["prefix"] == "P"
    assert code == "invalid_configuration"


def test_booking_from_the_free_slots_with_the_callers_contact(tmp_path):
    with ServerProcess(tmp_path) as server:

        async def run() -> tuple[dict, dict, dict, str, list[str]]:
            async with admin(server) as boss:
                day = "2026-12-01"
                slots = await boss.request("free_slots", service="passport", day=day)
                first = slots["slots"][0]
                booked = await boss.request(
                    "book",
                    services=["passport"],
                    due=first["due"],
                    name="Example Caller",
                    phone="+371 20000000",
                )
                after = await boss.request("free_slots", service="passport", day=day)
                contact = await boss.request("booking_contact", code=booked["code"])
                full = await refused(boss, "book", services=["passport"], due=first["due"])
                closed = await boss.request("free_slots", service="passport", day="2026-12-06")
                errors = [
                    full,
                    await refused(boss, "booking_contact", code="NOSUCH"),
                    await refused(boss, "free_slots", service="nothing", day=day),
                ]
                return slots, after, contact, booked["code"], [*errors, str(closed["slots"])]

        slots, after, contact, code, errors = asyncio.run(run())
    assert slots["slot_ms"] == 15 * 60_000
    first = slots["slots"][0]
    # Riga 1st Division opens at 08:00 on Tuesdays; slots every 15 minutes.
    assert first["free"] == 1 and first["due"] == at("2026-12-01 08:00")
    assert slots["slots"][1]["due"] - first["due"] == 15 * 60_000
    assert after["slots"][0] == {"due": first["due"], "free": 0}
    assert contact == {
        "type": "result",
        "id": contact["id"],
        "name": "Example Caller",
        "phone": "+371 20000000",
    }
    assert errors[:3] == ["slot_full", "unknown_appointment", "unknown_service"]
    assert errors[3] == "[]"  # a Sunday: closed
    with sqlite3.connect(server.db) as db:
        logged = "".join(row[0] for row in db.execute("SELECT data FROM events"))
    assert "Example Caller" not in logged and "20000000" not in logged
    assert len(code) == 6


def test_devices_and_their_presence_and_tokens(tmp_path):
    with ServerProcess(tmp_path) as server:

        async def run() -> dict:
            found: dict = {}
            async with admin(server) as boss:
                async with display(server):
                    found["connected"] = await read_until(boss, lambda m: m["type"] == "presence")
                    found["list"] = (await boss.request("list_devices"))["devices"]
                found["gone"] = await read_until(
                    boss, lambda m: m["type"] == "presence" and not m["connected"]
                )
                added = await boss.request("add_device", kind="display", name="Hall TV")
                found["added"] = added
                async with RindaClient(
                    server.url, division=DIVISION, token=added["token"], reconnect=False
                ) as tv:
                    found["tv_role"] = tv.welcome["role"]
                await boss.request("revoke_device", device=added["device"]["id"])
                with pytest.raises(RequestFailed) as revoked:
                    async with RindaClient(
                        server.url, division=DIVISION, token=added["token"], reconnect=False
                    ):
                        pass
                found["revoked"] = revoked.value.code
                other = next(
                    d["id"]
                    for d in (await boss.request("list_devices"))["devices"]
                    if d["kind"] == "kiosk"
                )
                found["own_kiosk"] = other
                found["again"] = await refused(boss, "revoke_device", device=added["device"]["id"])
                found["foreign"] = await refused(boss, "revoke_device", device="d4")
                found["bad_name"] = await refused(boss, "add_device", kind="kiosk", name=" ")
            return found

        found = asyncio.run(run())
    presence = found["connected"][-1]
    assert presence["device"]["kind"] == "display" and presence["connected"] is True
    listed = {d["name"]: d for d in found["list"]}
    assert listed["display"]["connected"] is True and listed["kiosk"]["connected"] is False
    assert "other" not in listed  # the Liepāja kiosk belongs to another division
    assert found["gone"][-1]["connected"] is False
    assert found["added"]["token"].startswith(found["added"]["device"]["id"] + ".")
    assert found["tv_role"] == "display"
    assert found["revoked"] == "auth_failed"
    assert found["again"] == "already_inactive"
    assert found["foreign"] == "unknown_device"  # d4: the Liepāja kiosk
    assert found["bad_name"] == "invalid_account"


def test_clerk_accounts_of_the_division(tmp_path):
    with ServerProcess(tmp_path) as server:

        async def run() -> dict:
            found: dict = {}
            async with admin(server) as boss:
                added = await boss.request("add_user", username="janis")
                password = added["password"]
                async with RindaClient(
                    server.url,
                    division=DIVISION,
                    user="janis",
                    password=password,
                    counter="2",
                    reconnect=False,
                ) as desk:
                    found["role"] = desk.welcome["role"]
                new = (await boss.request("reset_password", username="janis"))["password"]
                with pytest.raises(RequestFailed) as old:
                    async with RindaClient(
                        server.url,
                        division=DIVISION,
                        user="janis",
                        password=password,
                        counter="2",
                        reconnect=False,
                    ):
                        pass
                found["old_password"] = old.value.code
                found["new_differs"] = new != password
                await boss.request("disable_user", username="janis")
                found["users"] = (await boss.request("list_users"))["users"]
                found["taken"] = await refused(boss, "add_user", username="janis")
                found["admin"] = await refused(boss, "disable_user", username="admin1")
                found["nobody"] = await refused(boss, "reset_password", username="nobody")
                async with clerk(server, "clerk1", "1") as desk:
                    found["clerk_may_not"] = await refused(desk, "add_user", username="x")
            return found

        found = asyncio.run(run())
    assert found["role"] == "clerk"
    assert found["old_password"] == "auth_failed" and found["new_differs"]
    janis = next(u for u in found["users"] if u["username"] == "janis")
    assert janis["active"] is False and janis["editable"] is True
    admin1 = next(u for u in found["users"] if u["username"] == "admin1")
    assert admin1["editable"] is False
    assert found["taken"] == "username_taken"
    assert found["admin"] == "forbidden"
    assert found["nobody"] == "unknown_user"
    assert found["clerk_may_not"] == "forbidden"


def test_statistics_and_the_audit_trail_name_who_did_what(tmp_path):
    with ServerProcess(tmp_path) as server:

        async def run() -> tuple[dict, dict, dict, dict]:
            async with admin(server) as boss, clerk(server, "clerk1", "1") as desk:
                await desk.request("open")
                async with kiosk(server) as k:
                    first = (await k.request("issue", key="a", services=["passport"]))["ticket"]
                    await k.request("issue", key="b", services=["passport"])
                await desk.request("call_next")
                await desk.request("start")
                await desk.request("finish")
                await desk.request("call_next")
                await desk.request("no_show")
                await boss.request("configure_counter", counter="2", services=["collect"])
                stats = await boss.request("stats", period="day", start="2026-11-30")
                trail = await boss.request("audit", from_day="2026-11-30", actor="clerk1")
                one = await boss.request("audit", number=first["number"])
                config = await boss.request("audit", event="counter_configured")
                return stats, trail, one, config

        stats, trail, one, config = asyncio.run(run())
    summary = stats["tables"]["summary"]
    row = dict(zip(summary["columns"], summary["rows"][0], strict=True))
    assert row["visits"] == 2
    assert stats["report"]["division"] == DIVISION
    kinds = {r["type"] for r in trail["rows"]}
    assert {"counter_opened", "visit_called", "step_finished", "visit_missed"} <= kinds
    assert {r["actor_name"] for r in trail["rows"]} == {"clerk1"}
    assert [r["type"] for r in one["rows"]][-1] == "visit_issued"
    assert all(r["fields"].get("number") == one["rows"][0]["fields"]["number"] for r in one["rows"])
    assert [r["actor_name"] for r in config["rows"]] == ["admin1"]


def test_live_configuration_survives_snapshot_and_restore():
    office = load_office()
    state = DivisionState(office, "riga-1", LV_HOLIDAYS)
    now = at("2026-11-30 09:00")
    state.execute(c.ConfigureCounter("3", ("residence",), ("magnifier",), {"lv": "Lupa"}), now)
    state.execute(c.ConfigureService("passport", expected_ms=11 * 60_000, prefix="Y"), now)
    state.execute(c.SetNotes({"lv": "Piezīme"}), now)
    again = DivisionState.restore(office, LV_HOLIDAYS, state.snapshot())
    assert again.counter_settings["3"].services == ("residence",)
    assert again.counter_settings["3"].accessibility == ("magnifier",)
    assert again.office.services["passport"].prefix == "Y"
    assert again.durations.expected("passport") == 11 * 60_000
    assert again.division.notes == {"lv": "Piezīme"}
    assert office.services["passport"].prefix == "P"  # the shared settings are untouched
    assert again.free_slots("passport", date(2026, 12, 1).isoformat(), now)
