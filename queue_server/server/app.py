"""The queue server: one WebSocket endpoint for every kiosk, display, clerk and admin.

Each command is checked (message, role, division, counter), decided by the core,
committed by the store in one transaction, answered, and only then broadcast to
the subscribers of its division, each seeing it as its role may. The same port
answers plain HTTP: ``/healthz``, the consoles, and 404 for anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as HttpRequest
from websockets.http11 import Response

from queue_server.accounts import AccountError, Accounts, LoginThrottle
from queue_server.clock import Clock
from queue_server.core import DivisionState, DomainError
from queue_server.core import events as e
from queue_server.core.settings import Office
from queue_server.protocol import REQUESTS, ProtocolError, Request, parse, views
from queue_server.store import Committed, Store, StoreError
from queue_server.supervisor import Supervisor

from . import admin, logs, status_links, web
from .dispatch import COMMANDS, Session, command_for, ticket
from .logs import log, source_tag
from .settings import ServerSettings

WS_PATH = "/ws"
#: Requests answered from a read-only connection in a worker thread.
_READS_IN_THREAD = frozenset({"stats", "audit"})
#: Configuration events: the lobby's screens get a fresh snapshot after them.
_CONFIG_EVENTS = frozenset(
    {"counter_configured", "service_configured", "priority_configured", "notes_set"}
)
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
#: What a clerk may send at a counter another clerk holds: take it when it is free, and
#: end their own login (a refused logout would leave its session token valid).
_ANY_COUNTER = frozenset({"open", "logout"})
#: ``/healthz`` probes whether the file takes a write at most this often (seconds).
ROOM_CHECK_SECONDS = 1.0
#: The supervisor's name of the timers' loop, whose heartbeat ``/healthz`` checks.
TIMERS = "timers"
#: A status page stops listening once its visit is in one of these states.
_OVER = frozenset({"done", "cancelled", "expired"})


@dataclass
class _Bucket:
    """A token bucket: ``rate`` requests a second on average, ``burst`` at once."""

    rate: float
    burst: float
    tokens: float = 0.0
    at: float = field(default_factory=time.monotonic)
    #: Refusals in the last ten seconds: a client that keeps flooding is cut off.
    refused: int = 0
    _window: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if now - self._window > 10.0:
            self.refused, self._window = 0, now
        if self.tokens < 1:
            self.refused += 1
            return False
        self.tokens -= 1
        return True


class QueueServer:
    """The state of the running server: the store, the sessions, the subscribers."""

    def __init__(
        self,
        settings: ServerSettings,
        office: Office,
        store: Store,
        accounts: Accounts,
        throttle: LoginThrottle | None = None,
    ) -> None:
        self.settings = settings
        self.office = office
        self.store = store
        self.accounts = accounts
        self.throttle = throttle or LoginThrottle()
        #: division -> connection -> session
        self.subscribers: dict[str, dict[ServerConnection, Session]] = {}
        self._dirty: set[str] = set()
        self._closing: set[asyncio.Task[None]] = set()
        self._hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rinda-scrypt")
        self._generation = accounts.generation()
        start = settings.clock_start_ms
        if start is not None:
            # A rehearsal restarted on the same --clock-start goes on from its last
            # event, instead of standing still there until its clock catches up.
            start = max(start, store.last_at)
        self._clock = Clock(start, settings.clock_speed)
        self._link_key = store.key("status_links")
        self.supervisor = Supervisor(logs.report)
        self._room_checked_at = -ROOM_CHECK_SECONDS
        self._room_error: str | None = None

    def now(self) -> int:
        """The server's time: its clock, but never before the last committed event, so
        a clock stepped back cannot give a new ticket an arrival before those waiting."""
        return max(self._clock(), self.store.last_at)

    # ------------------------------------------------------------------ HTTP

    def process_request(
        self, connection: ServerConnection, request: HttpRequest
    ) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path == WS_PATH:
            return None
        if path == "/healthz":
            healthy, detail = self.health()
            body = json.dumps(detail) + "\n"
            return _response(200 if healthy else 503, body, "application/json")
        if path.startswith(status_links.PATH_PREFIX):
            # Every status link gets the same page; the page's script reads the link.
            path = "/status.html"
        found = web.page(path)
        if found is None:
            return _response(404, "Not found\n", "text/plain; charset=utf-8")
        body_bytes, content_type = found
        return _response(200, body_bytes, content_type)

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Every division's state is loaded, the file would take a write now, and the
        timers run: their loop beat lately and none of their steps is failing."""
        loaded = all(d in self.store.states for d in self.office.divisions)
        at = time.monotonic()
        if at - self._room_checked_at >= ROOM_CHECK_SECONDS:
            self._room_checked_at = at
            self._room_error = self.store.check_room()
        writable = self._room_error is None
        jobs = self.supervisor.figures()
        age = jobs.get(TIMERS, {}).get("beat_age_s")
        timers_ok = age is not None and age <= self.settings.timers_stale_after
        failing = sorted(name for name, job in jobs.items() if job["failing"])
        ok = loaded and writable and timers_ok and not failing
        return ok, {
            "ok": ok,
            "writable": writable,
            "error": self._room_error,
            "loaded": loaded,
            "timers": {"ok": timers_ok and not failing, "beat_age_s": age, "failing": failing},
            "jobs": jobs,
            "seq": self.store.last_seq,
            "connections": sum(len(s) for s in self.subscribers.values()),
        }

    # ------------------------------------------------------------ connections

    async def handle(self, ws: ServerConnection) -> None:
        source = source_tag(self._client_address(ws))
        session = await self._hello(ws, source)
        if session is None:
            return
        bucket = _Bucket(self.settings.rate, self.settings.burst)
        device = session.role in ("kiosk", "display")
        if device:
            self._presence(session)
        try:
            async for message in ws:
                await self._on_message(ws, session, message, bucket)
        except ConnectionClosed:
            pass
        finally:
            self.subscribers.get(session.division, {}).pop(ws, None)
            log("disconnected", role=session.role, division=session.division, actor=session.actor)
            if device:
                self._presence(session)

    def _client_address(self, ws: ServerConnection) -> str:
        """Where a connection comes from: the peer, or, behind a reverse proxy that the
        settings trust, the address that proxy saw (so that the slow-down of failed
        logins counts each counter PC apart, not the proxy as one)."""
        peer = _peer(ws)
        if peer in self.settings.trusted_proxies:
            return _forwarded_for(ws) or peer
        return peer

    def _connected(self, division: str) -> set[str]:
        """The devices of a division with a connection now."""
        return {
            s.actor
            for s in self.subscribers.get(division, {}).values()
            if s.role in ("kiosk", "display")
        }

    def _presence(self, session: Session) -> None:
        """Tell the division's staff that a kiosk or display came or went."""
        listeners = self.subscribers.get(session.division, {})
        staff = [ws for ws, s in listeners.items() if s.role in ("clerk", "admin")]
        if not staff:
            return
        account = session.account
        text = json.dumps(
            {
                "type": "presence",
                "device": {
                    "id": session.actor,
                    "kind": session.role,
                    "name": getattr(account, "name", session.actor),
                },
                "connected": session.actor in self._connected(session.division),
            },
            ensure_ascii=False,
        )
        ready = [ws for ws in staff if listeners[ws].backlog is None]
        for ws in staff:
            waiting = listeners[ws].backlog
            if waiting is not None:
                waiting.append(text)
        broadcast(ready, text)

    async def _hello(self, ws: ServerConnection, source: str) -> Session | None:
        deadline = asyncio.get_running_loop().time() + self.settings.hello_timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=max(left, 0.001))
            except TimeoutError:
                await ws.close(1008, "authenticate first")
                return None
            except ConnectionClosed:
                return None
            try:
                request = parse(message)
                if request.type != "hello":
                    raise ProtocolError("not_authenticated", "Say hello first.", id=request.id)
                session = await self._authenticate(request, source)
            except ProtocolError as error:
                await self._send_error(
                    ws, error.details.pop("id", None), error.code, error.message, error.details
                )
                continue
            except DomainError as error:
                await self._send_error(ws, request.id, error.code, error.message, error.details)
                continue
            try:
                await self._welcome(ws, session, request)
            except ConnectionClosed:
                self.subscribers.get(session.division, {}).pop(ws, None)
                return None
            return session

    async def _authenticate(self, request: Request, source: str) -> Session:
        f = request.fields
        division = f["division"]
        delay = self.throttle.admit(source, time.monotonic())
        if delay > 0:
            await asyncio.sleep(delay)
        if division not in self.office.divisions:
            raise ProtocolError(
                "unknown_division", f"There is no division {division!r}.", id=request.id
            )
        if f["status"] is not None:
            number = status_links.verify(
                self._link_key, f["status"], division, self.store.states[division].day
            )
            if number is None or number not in self.store.states[division].visits:
                self.throttle.failed(source, time.monotonic())
                raise ProtocolError(
                    "link_expired",
                    "This status link is not valid today: take a ticket at the kiosk.",
                    id=request.id,
                )
            return Session(role="visitor", division=division, actor="visitor", visit=number)
        if f["token"] is not None:
            device = self.accounts.verify_device(f["token"])
            if device is None:
                raise self._failed(source, request)
            if device.division != division:
                raise ProtocolError(
                    "wrong_division", "This device belongs to another division.", id=request.id
                )
            role, actor, account = device.kind, device.id, device
        elif f["user"] is not None and f["session"] is not None:
            user = self.accounts.verify_session(f["user"], f["session"], division, self.now())
            if user is None:
                raise self._failed(source, request)
            role, actor, account = user.role, user.id, user
        elif f["user"] is not None and f["password"] is not None:
            check = self.accounts.password_check(f["user"])
            # scrypt takes tens of milliseconds and 16 MiB: in one worker thread, so the
            # lobby never waits and simultaneous logins do not multiply the memory.
            loop = asyncio.get_running_loop()
            user = await loop.run_in_executor(self._hashing, check.verify, f["password"])
            if user is None:
                raise self._failed(source, request)
            if "*" not in user.divisions and division not in user.divisions:
                raise ProtocolError(
                    "wrong_division", "This account does not work in that division.", id=request.id
                )
            role, actor, account = user.role, user.id, user
        else:
            raise ProtocolError(
                "missing_field",
                "hello needs a token, or a user and a password or session.",
                field="token" if f["user"] is None else "password",
                id=request.id,
            )
        self.throttle.succeeded(source)
        counter = f["counter"]
        if role == "clerk":
            if counter is None:
                raise ProtocolError(
                    "missing_field", "A clerk names the counter.", field="counter", id=request.id
                )
            if self.office.divisions[division].counter(counter) is None:
                raise DomainError("unknown_counter", f"There is no counter {counter!r}.")
        else:
            counter = None
        session = Session(
            role=role,
            division=division,
            actor=actor,
            counter=counter,
            source=source,
            account=account,
        )
        if f["session"] is not None:
            session.login = f["session"]
            session.expires = self.accounts.session_expires(f["session"])
        elif f["user"] is not None:
            session.login, session.expires = self.accounts.open_session(
                account, division, self.now(), self.settings.session_ms
            )
        return session

    def _failed(self, source: str, request: Request) -> ProtocolError:
        self.throttle.failed(source, time.monotonic())
        log(
            "login_failed",
            level=logging.WARNING,
            source=source,
            division=request.fields["division"],
        )
        return ProtocolError("auth_failed", "The credentials are not valid.", id=request.id)

    async def _welcome(self, ws: ServerConnection, session: Session, request: Request) -> None:
        division = session.division
        # A new day begins before the first picture, and everyone else hears of it.
        self._broadcast(division, self.store.tick(division, self.now()))
        state = self.store.states[division]
        seq = self.store.last_seq
        welcome = {
            "type": "welcome",
            "id": request.id,
            "role": session.role,
            "division": division,
            "counter": session.counter,
            "actor": session.actor,
            "seq": seq,
            "now": self.now(),
            # Clients follow the server's clock (queue_server.clock.FollowedClock).
            "clock_speed": self._clock.speed,
        }
        if session.login is not None:
            # The console keeps this instead of the password, to reconnect.
            welcome["session"] = session.login
            welcome["session_expires"] = session.expires
        since = request.fields["resume_from"]
        missed = self._missed(division, since, seq) if since is not None else None
        # Events committed while these messages are being sent wait in the session's
        # backlog, so that they reach this client after the picture, in order.
        session.backlog = []
        self.subscribers.setdefault(division, {})[ws] = session
        messages = [json.dumps(welcome)]
        if session.visit is not None:
            messages.append(self._status_message(session, state, state.estimates(self.now())))
        elif missed is None:
            messages.append(self._snapshot_message(session, state, seq))
        else:
            who = views.audience(session.role)
            messages += [m for m in (_event_message(c, who) for c in missed) if m]
            # The waiting counts and estimates as they are now, as after any change.
            queues = {"type": "queues", "seq": seq, "queues": views.queues(state, self.now())}
            messages.append(json.dumps(queues))
        session.seq = seq
        log(
            "connected",
            role=session.role,
            division=division,
            actor=session.actor,
            counter=session.counter,
            resumed=missed is not None,
        )
        try:
            for text in messages:
                await ws.send(text)
            while session.backlog:
                waiting, session.backlog = session.backlog, []
                for text in waiting:
                    await ws.send(text)
        finally:
            session.backlog = None

    def _missed(self, division: str, since: int, seq: int) -> list[Committed] | None:
        """The events after ``since``, or None when a snapshot must do instead."""
        if since > seq:
            return None
        found = self.store.events_since(since, division, limit=self.settings.resume_limit + 1)
        if len(found) > self.settings.resume_limit:
            return None
        return found

    def _status_link(self, division: str, number: str) -> str | None:
        base = self.settings.public_url
        day = self.store.states[division].day
        if base is None or day is None:
            return None
        link = status_links.token(self._link_key, division, day, number)
        return f"{base}{status_links.PATH_PREFIX}{link}"

    def _status_message(
        self, session: Session, state: DivisionState, estimates: dict[str, int]
    ) -> str:
        assert session.visit is not None
        view = views.visit_status(self.office, state, session.visit, estimates)
        session.last_status = json.dumps({"type": "status", **view}, ensure_ascii=False)
        if view["status"] in _OVER:
            session.visit_over = True
        return session.last_status

    def _snapshot_message(self, session: Session, state: DivisionState, seq: int) -> str:
        who = views.audience(session.role)
        view = views.snapshot(self.office, state, who, seq, self.now())
        return json.dumps({"type": "snapshot", **view}, ensure_ascii=False)

    # --------------------------------------------------------------- requests

    async def _on_message(
        self, ws: ServerConnection, session: Session, message: str | bytes, bucket: _Bucket
    ) -> None:
        allowed = bucket.take()
        if bucket.refused > 10 * self.settings.burst:
            log("flood", level=logging.WARNING, role=session.role, actor=session.actor)
            await ws.close(1008, "too many messages")
            return
        try:
            request = parse(message)
        except ProtocolError as error:
            await self._send_error(
                ws, error.details.pop("id", None), error.code, error.message, error.details
            )
            return
        spec = REQUESTS[request.type]
        try:
            if not allowed:
                raise ProtocolError("rate_limited", "Too many messages: slow down and retry.")
            if request.type == "hello":
                raise ProtocolError("already_authenticated", "This connection already said hello.")
            if session.role not in spec.roles:
                article = "An" if session.role[0] in "aeiou" else "A"
                raise ProtocolError(
                    "forbidden", f"{article} {session.role} may not send {request.type}."
                )
            if request.type in _READS_IN_THREAD:
                reply = await self._read_in_thread(session, request)
            else:
                reply = self._answer(ws, session, request)
        except AccountError as error:
            refusal = admin.account_error(error)
            await self._send_error(ws, request.id, refusal.code, refusal.message)
            return
        except (ProtocolError, DomainError) as error:
            details = {k: v for k, v in error.details.items() if k != "id"}
            await self._send_error(ws, request.id, error.code, error.message, details)
            return
        except StoreError as error:
            log("store_error", level=logging.ERROR, division=session.division, error=str(error))
            await self._send_error(
                ws, request.id, "unavailable", "Nothing was stored: " + str(error)
            )
            return
        except Exception:
            logging.getLogger("rinda").exception("request failed")
            await self._send_error(
                ws, request.id, "internal", "The server failed; nothing was changed."
            )
            return
        await ws.send(json.dumps({"type": "result", "id": request.id, **reply}, ensure_ascii=False))

    async def _read_in_thread(self, session: Session, request: Request) -> dict[str, Any]:
        """Statistics and the audit trail: long reads, on their own read-only
        connection in a worker thread, so the lobby does not wait for them."""
        names = admin.Names.of(self.accounts)
        division = session.division
        if request.type == "stats":
            timezone = self.store.states[division].division.timezone
            return await asyncio.to_thread(
                admin.statistics, self.settings.db, division, timezone, request.fields, names
            )
        return await asyncio.to_thread(
            admin.audit, self.settings.db, division, request.fields, names
        )

    def _answer(self, ws: ServerConnection, session: Session, request: Request) -> dict[str, Any]:
        division = session.division
        state = self.store.states[division]
        now = self.now()
        f = request.fields
        if session.role == "clerk" and request.type not in _ANY_COUNTER:
            self._check_own_counter(state, session)
        if request.type == "free_slots":
            return admin.free_slots(state, f["service"], f["day"], now)
        if request.type == "booking_contact":
            if f["code"] not in state.appointments:
                raise DomainError("unknown_appointment", "There is no booking with this code.")
            contact = self.store.booking_contact(division, f["code"])
            return {"name": contact and contact.name, "phone": contact and contact.phone}
        if request.type == "list_devices":
            return admin.list_devices(self.accounts, session, self._connected(division), state)
        if request.type == "add_device":
            return admin.add_device(self.accounts, session, f["kind"], f["name"], now)
        if request.type == "revoke_device":
            return admin.revoke_device(self.accounts, session, f["device"], now)
        if request.type == "list_users":
            return admin.list_users(self.accounts, session)
        if request.type == "add_user":
            return admin.add_user(self.accounts, session, f["username"], now)
        if request.type == "disable_user":
            return admin.disable_user(self.accounts, session, f["username"], now)
        if request.type == "reset_password":
            return admin.reset_password(self.accounts, session, f["username"], now)
        if request.type == "snapshot":
            return {
                "snapshot": json.loads(self._snapshot_message(session, state, self.store.last_seq))
            }
        if request.type == "sync":
            missed = self._missed(division, request.fields["since"], self.store.last_seq)
            who = views.audience(session.role)
            if missed is None:
                snap = json.loads(self._snapshot_message(session, state, self.store.last_seq))
                return {"snapshot": snap}
            return {"events": [v for v in (_event_view(c, who) for c in missed) if v]}
        if request.type == "quote":
            quote = state.quote(tuple(request.fields["services"]), request.fields["priority"], now)
            return {
                "quote": {
                    "call_at": quote.call_at,
                    "wait_ms": quote.wait_ms,
                    "closing_at": quote.closing_at,
                    "past_closing": quote.past_closing,
                }
            }
        if request.type == "logout":
            if session.login is not None:
                self.accounts.end_session(session.login, now)
                self._close_later(ws, 1000, "logged out")
            return {}
        if request.type == "counter_figures":
            assert session.counter is not None
            return {"figures": views.counter_figures(state, session.counter)}
        assert request.type in COMMANDS
        command = command_for(request, session)
        committed = self.store.execute(division, command, now, session.actor)
        self._broadcast(division, committed)
        log(
            "command",
            type=request.type,
            role=session.role,
            division=division,
            actor=session.actor,
            counter=session.counter,
            seq=committed[-1].seq if committed else None,
        )
        reply: dict[str, Any] = {"seq": [c.seq for c in committed]}
        if request.type in ("issue", "check_in"):
            number = state.by_key[request.fields["key"]]
            reply["ticket"] = ticket(state, number, now, self._status_link(division, number))
        elif request.type == "book":
            booked = [c.event for c in committed if isinstance(c.event, e.AppointmentBooked)]
            reply["code"] = booked[0].code
            if f["name"] is not None or f["phone"] is not None:
                # Personal data: kept beside the log, purged after the retention period.
                self.store.add_booking_contact(
                    division, reply["code"], f["name"] or "", f["phone"], now
                )
        if session.role in ("clerk", "admin"):
            reply["events"] = [views.event_view(c.event, views.STAFF) for c in committed]
        return reply

    @staticmethod
    def _check_own_counter(state: DivisionState, session: Session) -> None:
        """A clerk acts, and reads, only at a counter that is closed or opened by
        themselves."""
        assert session.counter is not None
        holder = state.counters[session.counter].clerk
        if holder is not None and holder != session.actor:
            raise ProtocolError(
                "wrong_counter",
                f"Counter {session.counter} is open for another clerk: log in at your own.",
            )

    # -------------------------------------------------------------- broadcast

    def _broadcast(self, division: str, committed: Iterable[Committed]) -> None:
        committed = list(committed)
        if not committed:
            return
        listeners = self.subscribers.get(division)
        if not listeners:
            return
        groups: dict[str, list[ServerConnection]] = {who: [] for who in views.AUDIENCES}
        limit = self.settings.max_backlog
        for ws, session in list(listeners.items()):
            transport = ws.transport
            if transport is not None and transport.get_write_buffer_size() > limit:
                listeners.pop(ws, None)
                log(
                    "too_slow",
                    level=logging.WARNING,
                    role=session.role,
                    division=division,
                    actor=session.actor,
                )
                self._close_later(ws, 1013, "too slow: reconnect and resume")
                continue
            session.seq = committed[-1].seq
            if session.visit is not None:
                # A status page hears no events: its status is recomputed with the queues.
                self._dirty.add(division)
                continue
            if session.backlog is not None:
                who = views.audience(session.role)
                session.backlog += [t for t in (_event_message(i, who) for i in committed) if t]
                continue
            groups[views.audience(session.role)].append(ws)
        for who, connections in groups.items():
            if not connections:
                continue
            for item in committed:
                text = _event_message(item, who)
                if text:
                    broadcast(connections, text)
        if any(item.event.type in views.QUEUE_EVENTS for item in committed):
            self._dirty.add(division)
        if any(item.event.type in _CONFIG_EVENTS for item in committed):
            self._refresh_lobby(division)

    def _refresh_lobby(self, division: str) -> None:
        """After a configuration change the kiosks and displays get a fresh snapshot:
        they see the new service texts, counters and notes without knowing the events."""
        state = self.store.states[division]
        seq = self.store.last_seq
        for ws, session in list(self.subscribers.get(division, {}).items()):
            if session.role not in ("kiosk", "display"):
                continue
            text = self._snapshot_message(session, state, seq)
            if session.backlog is not None:
                session.backlog.append(text)
            else:
                broadcast([ws], text)
        self._dirty.add(division)

    def _broadcast_queues(self) -> None:
        dirty, self._dirty = self._dirty, set()
        now = self.now()
        for division in dirty:
            listeners = self.subscribers.get(division)
            if not listeners:
                continue
            state = self.store.states[division]
            text = json.dumps(
                {"type": "queues", "seq": self.store.last_seq, "queues": views.queues(state, now)}
            )
            ready = []
            estimates: dict[str, int] | None = None
            # A copy: a status page whose visit is over leaves ``listeners`` on the way.
            for ws, session in list(listeners.items()):
                if session.visit is not None:
                    if estimates is None:
                        estimates = state.estimates(now)
                    self._send_status(ws, session, state, estimates)
                    continue
                if session.backlog is not None:
                    session.backlog.append(text)
                else:
                    ready.append(ws)
            broadcast(ready, text)

    def _send_status(
        self,
        ws: ServerConnection,
        session: Session,
        state: DivisionState,
        estimates: dict[str, int],
    ) -> None:
        """Send a status page its visit again, if anything it shows changed."""
        before = session.last_status
        text = self._status_message(session, state, estimates)
        if text != before and session.backlog is None:
            broadcast([ws], text)
        if session.visit_over:
            # The visit is over (or its day): the page keeps its last picture.
            self.subscribers.get(session.division, {}).pop(ws, None)
            self._close_later(ws, 1000, "the visit is over")

    # ----------------------------------------------------------------- timers

    def open_days(self) -> None:
        """Before listening: every division's day is open, so the first minutes of a
        running server commit nothing that no client asked for."""
        now = self.now()
        for division in self.office.divisions:
            self.store.tick(division, now)
        self.supervisor.beat(TIMERS)

    async def run_timers(self) -> None:
        """Every tick: send the queue summaries of divisions that changed; every second
        also open a new day where it began and cut off revoked or expired credentials.

        Each step stands alone: one that fails is reported (the log has its traceback,
        ``/healthz`` its name) and the others go on. The loop beats once a round, so
        ``/healthz`` fails when it stops (``docs/operations.md``).
        """
        next_tick = 0.0
        while True:
            await asyncio.sleep(self.settings.queues_interval)
            with self.supervisor.step("queues"):
                self._broadcast_queues()
            loop_time = asyncio.get_running_loop().time()
            if loop_time >= next_tick:
                next_tick = loop_time + self.settings.tick_interval
                now = self.now()
                with self.supervisor.step("days"):
                    self._open_days(now)
                with self.supervisor.step("revocations"):
                    self._check_revocations()
                with self.supervisor.step("expiries"):
                    self._check_expiries(now)
            self.supervisor.beat(TIMERS)

    def _open_days(self, now: int) -> None:
        """Close and open days where time says so; one division's failure stops no other."""
        failed: list[Exception] = []
        for division in self.office.divisions:
            try:
                self._broadcast(division, self.store.tick(division, now))
            except Exception as error:  # raised below, after the other divisions
                failed.append(error)
        if failed:
            raise failed[0]

    def _check_expiries(self, now: int) -> None:
        """A console whose login session ran out is cut off: it must log in again."""
        for listeners in list(self.subscribers.values()):
            for ws, session in list(listeners.items()):
                if session.expires is not None and session.expires <= now:
                    listeners.pop(ws, None)
                    log("expired", role=session.role, division=session.division)
                    self._close_later(ws, 1008, "session expired: log in again")

    def _check_revocations(self) -> None:
        generation = self.accounts.generation()
        if generation == self._generation:
            return
        self._generation = generation
        for listeners in list(self.subscribers.values()):
            for ws, session in list(listeners.items()):
                if not self.accounts.still_valid(session.account):
                    listeners.pop(ws, None)
                    log(
                        "revoked", role=session.role, division=session.division, actor=session.actor
                    )
                    self._close_later(ws, 1008, "credentials revoked")

    def _close_later(self, ws: ServerConnection, code: int, reason: str) -> None:
        """Close without waiting here; keep the task until it is done."""
        task = asyncio.create_task(ws.close(code, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _send_error(
        self,
        ws: ServerConnection,
        request_id: Any,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        payload = {"type": "error", "id": request_id, "code": code, "message": message}
        if details:
            payload["details"] = details
        with contextlib.suppress(ConnectionClosed):
            # ASCII escapes: an error may echo what the client sent, however odd.
            await ws.send(json.dumps(payload, default=str))


def _event_view(item: Committed, who: str) -> dict[str, Any] | None:
    view = views.event_view(item.event, who)
    if view is None:
        return None
    return {"seq": item.seq, "event": view}


def _event_message(item: Committed, who: str) -> str | None:
    view = _event_view(item, who)
    if view is None:
        return None
    return json.dumps({"type": "event", **view}, ensure_ascii=False)


def _forwarded_for(ws: ServerConnection) -> str | None:
    """The client's address as a reverse proxy put it last into X-Forwarded-For."""
    request = ws.request
    if request is None:
        return None
    found = request.headers.get("X-Forwarded-For")
    if not found:
        return None
    last = found.split(",")[-1].strip()
    return last or None


def _peer(ws: ServerConnection) -> str:
    address = ws.remote_address
    if isinstance(address, tuple) and address:
        return str(address[0])
    return str(address)


def _response(status: int, body: str | bytes, content_type: str) -> Response:
    data = body.encode() if isinstance(body, str) else body
    headers = Headers(
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            # Pages run only their own scripts and styles and talk only to this server;
            # no other site may frame them, and no address (a status link) leaks on.
            ("Content-Security-Policy", CSP),
            ("Referrer-Policy", "no-referrer"),
            ("X-Frame-Options", "DENY"),
        ]
    )
    reasons = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}
    return Response(status, reasons.get(status, ""), headers, data)
