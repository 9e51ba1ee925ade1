"""Bad input: each malformed, mistyped, incomplete, unknown, oversized or flooding
message gets its error with a stable code, changes nothing, and the server keeps
serving everyone else."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from queue_server.client import RequestFailed, RindaClient
from queue_server.protocol import MAX_MESSAGE_BYTES, REQUESTS
from tests.conftest import TIMEOUT, at
from tests.conftest_server import (
    admin,
    clerk,
    close_code,
    hello,
    kiosk,
    raw,
    sample_fields,
    say,
    serving,
    staff_view,
    unchanged,
)
from tests.serverkit import ServerProcess

#: Values that each field kind must refuse (``queue_server.protocol.messages.KINDS``).
WRONG: dict[str, list[Any]] = {
    "id": [5, "two words", "x" * 65, ["passport"]],
    "ids": ["passport", [], [5], ["passport"] * 11],
    "number": ["P1", "p001", 1],
    "text": [5, "", "x" * 201],
    "note": [5, "", "x" * 1001],
    "secret": [5, "", ["secret"]],
    "lang": ["de", "LV", 1],
    "instant": ["1796022000000", -1, 1.5, True],
    "seq": ["5", -1, 2.0, True],
    "minute": ["600", -1, 24 * 60 + 1, True],
    "day": ["30.11.2026", 20261130, "2026-1-1"],
    "role": ["root", 1],
    "stars": [0, 6, "5", 4.5, True],
    "printer": ["on fire", "", 1],
    "tags": ["quick", [5], ["quick"] * 9],
    "codes": ["hearing_loop", [5], ["x"] * 11],
    "texts": ["paraugs", {}, {"de": "x"}, {"lv": 5}, {"lv": "x" * 1001}],
    "prefix": ["AB", "a", "", 1],
    "minutes": [0, 241, "20", 2.5, True],
    "share": [0, 1.5, "0.9", True],
    "period": ["year", "", 1],
    "device": ["clerk", "", 1],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from serving(tmp_path_factory.mktemp("input"))


async def refusal(
    client: RindaClient, request: str, /, **fields: Any
) -> tuple[str, dict[str, Any]]:
    """The code and details of the error a request gets (it must get one)."""
    with pytest.raises(RequestFailed) as refused:
        await client.request(request, **fields)
    return refused.value.code, refused.value.details


async def raw_refusal(client: RindaClient, text: str | bytes) -> dict[str, Any]:
    """Send a message as it is and return the error it gets (carrying no request id)."""
    await client.send_raw(text)
    while True:
        message = await client.next_message(TIMEOUT)
        if message["type"] == "error":
            return message


async def open_counter(counter: RindaClient) -> None:
    """Open the clerk's counter, whichever test came first."""
    try:
        await counter.request("open")
    except RequestFailed as refused:
        assert refused.code == "counter_open"


def test_text_that_is_not_a_json_object_is_refused(server: ServerProcess) -> None:
    cases: list[tuple[str | bytes, str]] = [
        ("{not json", "bad_json"),
        ("", "bad_json"),
        ('{"type": "sync", "since": 0', "bad_json"),
        (b"\xff\xfe\x00garbage", "bad_json"),
        ("[]", "not_an_object"),
        ('[{"type": "sync", "since": 0}]', "not_an_object"),
        ('"sync"', "not_an_object"),
        ("42", "not_an_object"),
        ("null", "not_an_object"),
    ]

    async def send_all() -> list[tuple[str | bytes, str]]:
        async with admin(server) as boss, unchanged(server, boss):
            return [(text, (await raw_refusal(boss, text))["code"]) for text, _ in cases]

    assert asyncio.run(send_all()) == cases


def test_unknown_request_types_are_refused_and_a_missing_type_is_named(
    server: ServerProcess,
) -> None:
    async def send_all() -> list[str]:
        async with admin(server) as boss, unchanged(server, boss):
            found = [(await refusal(boss, kind))[0] for kind in ("teleport", "HELLO", "")]
            for text in ('{"type": 5}', '{"type": ["sync"]}'):
                found.append((await raw_refusal(boss, text))["code"])
            for text in ('{"since": 0}', '{"type": null}'):
                error = await raw_refusal(boss, text)
                assert error["details"] == {"field": "type"}, text
                found.append(error["code"])
            return found

    assert asyncio.run(send_all()) == ["unknown_type"] * 5 + ["missing_field"] * 2


def test_every_field_of_every_request_refuses_values_of_the_wrong_kind(
    server: ServerProcess,
) -> None:
    async def send_all() -> list[tuple[str, str, Any, str, dict[str, Any]]]:
        wrong = []
        async with admin(server) as boss, unchanged(server, boss):
            for spec in REQUESTS.values():
                # One connection per request type: each has its own rate limit, and
                # hundreds of requests in a row would meet it before the field checks.
                async with admin(server) as sender:
                    for name, (kind, _) in spec.fields.items():
                        for value in WRONG[kind]:
                            fields = {**sample_fields(spec), name: value}
                            code, details = await refusal(sender, spec.name, **fields)
                            if (code, details) != ("bad_field", {"field": name}):
                                wrong.append((spec.name, name, value, code, details))
        return wrong

    assert asyncio.run(send_all()) == []


def test_every_required_field_is_required(server: ServerProcess) -> None:
    async def send_all() -> list[tuple[str, str, str, dict[str, Any]]]:
        wrong = []
        async with admin(server) as boss, unchanged(server, boss):
            for spec in REQUESTS.values():
                for name, (_, required) in spec.fields.items():
                    if not required:
                        continue
                    given = sample_fields(spec)
                    without = {k: v for k, v in given.items() if k != name}
                    for fields in (without, {**given, name: None}):
                        code, details = await refusal(boss, spec.name, **fields)
                        if (code, details) != ("missing_field", {"field": name}):
                            wrong.append((spec.name, name, code, details))
        return wrong

    assert asyncio.run(send_all()) == []


def test_every_request_refuses_a_field_it_does_not_take(server: ServerProcess) -> None:
    async def send_all() -> list[tuple[str, str, dict[str, Any]]]:
        wrong = []
        async with admin(server) as boss, unchanged(server, boss):
            for spec in REQUESTS.values():
                fields = {**sample_fields(spec), "colour": "red"}
                code, details = await refusal(boss, spec.name, **fields)
                if (code, details) != ("unknown_field", {"field": "colour"}):
                    wrong.append((spec.name, code, details))
        return wrong

    assert asyncio.run(send_all()) == []


def test_a_request_id_must_be_a_short_string_or_an_integer(server: ServerProcess) -> None:
    async def send_all() -> list[dict[str, Any]]:
        async with admin(server) as boss, unchanged(server, boss):
            return [
                await raw_refusal(boss, json.dumps({"type": "sync", "since": 0, "id": bad}))
                for bad in (1.5, True, [1], {"n": 1}, "", "x" * 65, 2**60)
            ]

    for error in asyncio.run(send_all()):
        assert error["id"] is None
        assert (error["code"], error["details"]) == ("bad_field", {"field": "id"})


def test_unknown_services_priorities_outcomes_and_counters_are_refused(
    server: ServerProcess,
) -> None:
    async def send_all() -> list[tuple[str, str]]:
        async with (
            admin(server) as boss,
            kiosk(server) as kiosk1,
            clerk(server, "clerk1", "1") as anna,
        ):
            await open_counter(anna)
            ticket = await kiosk1.request("issue", key="unknowns", services=["passport"])
            await anna.request("call_number", number=ticket["ticket"]["number"])
            async with unchanged(server, boss):
                tried = [
                    (kiosk1, "issue", {"key": "u1", "services": ["teleport"]}),
                    (kiosk1, "issue", {"key": "u2", "services": ["passport", "teleport"]}),
                    (kiosk1, "issue", {"key": "u3", "services": ["passport"], "priority": "vip"}),
                    (kiosk1, "check_in", {"key": "u4", "code": "NOSUCH"}),
                    (kiosk1, "return_visit", {"number": "Z999"}),
                    (boss, "book", {"services": ["teleport"], "due": at("2026-11-30 10:00")}),
                    (boss, "close_counter", {"counter": "99"}),
                    (boss, "cancel_booking", {"code": "NOSUCH"}),
                    (boss, "cancel_visit", {"number": "Z999"}),
                    (anna, "transfer", {"to_counter": "99"}),
                    (anna, "transfer", {"service": "teleport"}),
                    (anna, "finish", {"outcome": "party"}),
                    (anna, "finish", {"outcome": "refused", "reason": "bad_hair_day"}),
                ]
                return [
                    (kind, (await refusal(client, kind, **fields))[0])
                    for client, kind, fields in tried
                ]

    assert asyncio.run(send_all()) == [
        ("issue", "unknown_service"),
        ("issue", "unknown_service"),
        ("issue", "unknown_priority"),
        ("check_in", "unknown_appointment"),
        ("return_visit", "unknown_visit"),
        ("book", "unknown_service"),
        ("close_counter", "unknown_counter"),
        ("cancel_booking", "unknown_appointment"),
        ("cancel_visit", "unknown_visit"),
        ("transfer", "unknown_counter"),
        ("transfer", "unknown_service"),
        ("finish", "unknown_outcome"),
        ("finish", "unknown_reason"),
    ]


def test_a_quote_for_an_unknown_service_or_priority_is_refused(server: ServerProcess) -> None:
    async def quotes() -> list[str]:
        async with kiosk(server) as kiosk1:
            return [
                (await refusal(kiosk1, "quote", services=["teleport"]))[0],
                (await refusal(kiosk1, "quote", services=["passport"], priority="vip"))[0],
            ]

    assert asyncio.run(quotes()) == ["unknown_service", "unknown_priority"]


def test_a_message_over_the_size_limit_closes_only_its_connection(server: ServerProcess) -> None:
    async def too_big() -> int | None:
        async with raw(server) as ws, kiosk(server) as bystander, admin(server) as boss:
            assert (await say(ws, hello(server)))["type"] == "welcome"
            async with unchanged(server, boss):
                huge = {"type": "issue", "key": "huge", "services": ["passport"]}
                huge["padding"] = "x" * MAX_MESSAGE_BYTES
                await ws.send(json.dumps(huge))
                code = await close_code(ws)
                assert (await bystander.request("snapshot"))["type"] == "result"
            return code

    assert asyncio.run(too_big()) == 1009  # message too big


def test_a_message_just_under_the_size_limit_gets_an_ordinary_error(
    server: ServerProcess,
) -> None:
    async def almost_too_big() -> tuple[str, dict[str, Any]]:
        async with admin(server) as boss, unchanged(server, boss):
            note = "x" * (MAX_MESSAGE_BYTES - 200)
            answer = await refusal(boss, "set_hours_exception", day="2027-06-02", note=note)
            assert (await boss.request("sync", since=boss.welcome["seq"]))["type"] == "result"
            return answer

    assert asyncio.run(almost_too_big()) == ("bad_field", {"field": "note"})


def test_a_flood_is_rate_limited_and_the_others_are_still_served(server: ServerProcess) -> None:
    flood = 400

    async def flooded() -> tuple[dict[str, dict[str, Any]], dict[str, Any], dict[str, Any]]:
        async with (
            kiosk(server) as flooder,
            kiosk(server, "kiosk2") as other,
            admin(server) as boss,
            clerk(server, "clerk1", "1") as anna,
        ):
            await open_counter(anna)
            before = await staff_view(boss)
            taps = [
                {"type": "issue", "id": f"flood-{n}", "key": f"flood-{n}", "services": ["collect"]}
                for n in range(flood)
            ]
            *_, meanwhile, _ = await asyncio.gather(
                *(flooder.send_raw(json.dumps(tap)) for tap in taps),
                other.request("issue", key="meanwhile", services=["collect"], timeout=TIMEOUT / 2),
                boss.request("snapshot", timeout=TIMEOUT / 2),
            )
            assert meanwhile["ticket"]["number"].startswith("I")
            answers: dict[str, dict[str, Any]] = {}
            while len(answers) < flood:
                message = await flooder.next_message(TIMEOUT)
                if message["type"] in ("result", "error"):
                    assert message["id"] not in answers, "one answer per message"
                    answers[message["id"]] = message
            await asyncio.sleep(0.2)  # the bucket refills (50 a second)
            later = await flooder.request("issue", key="later", services=["collect"])
            assert later["ticket"]["number"].startswith("I")
            return answers, before, await staff_view(boss)

    answers, before, after = asyncio.run(flooded())
    assert set(answers) == {f"flood-{n}" for n in range(flood)}
    issued = [a for a in answers.values() if a["type"] == "result"]
    limited = [a for a in answers.values() if a["type"] == "error"]
    assert issued and limited
    assert {a["code"] for a in limited} == {"rate_limited"}
    # A refused message issued nothing: the visits grew by the accepted ones only
    # (and the other kiosk's, and the one after the flood).
    known = {v["number"] for v in before["state"]["visits"]}
    fresh = [v["key"] for v in after["state"]["visits"] if v["number"] not in known]
    assert sorted(fresh) == sorted([a["id"] for a in issued] + ["meanwhile", "later"])


def test_deeply_nested_json_gets_an_error_not_a_closed_connection(
    server: ServerProcess,
) -> None:
    nested = '{"type": "sync", "since": 0, "x": ' + "[" * 10_000 + "]" * 10_000 + "}"

    async def nest(before_hello: bool) -> str:
        async with raw(server) as ws:
            if not before_hello:
                await say(ws, hello(server))
            try:
                return (await say(ws, nested))["code"]
            except Exception as failure:  # the connection went: say how
                return f"closed: {failure!r}"

    assert asyncio.run(nest(before_hello=True)) == "bad_json"
    assert asyncio.run(nest(before_hello=False)) == "bad_json"


def test_a_lone_surrogate_gets_an_answer_not_a_dropped_connection(server: ServerProcess) -> None:
    async def answers() -> list[str]:
        found = []
        for text in (
            '{"type": "sync", "since": 0, "\\ud800": 1}',
            '{"type": "sync", "since": 0, "id": "\\ud800"}',
        ):
            async with raw(server) as ws:
                await say(ws, hello(server))
                try:
                    answer = await say(ws, text)
                    found.append(answer.get("code", answer["type"]))
                except Exception as failure:  # the connection went: say how
                    found.append(f"closed: {failure!r}")
        return found

    # An id that is not valid UTF-8 cannot be echoed: it is refused, and said so.
    assert asyncio.run(answers()) == ["unknown_field", "bad_field"]
