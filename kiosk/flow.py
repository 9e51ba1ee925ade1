"""The kiosk's controller: one visitor's way from the language to the printed ticket.

    flow = KioskFlow(settings, catalog, server=client, print_ticket=printer.print,
                     rate=rate, clock=client.clock)   # () -> epoch ms: the server's
    flow.receive(message)              # every snapshot, event and queue summary
    flow.choose_language("en")         # taps: the verbs below
    await flow.print()                 # verbs that talk to the server or printer are async
    flow.tick()                        # a few times a second: inactivity
    flow.view()                        # what the screen shows now (kiosk.view.View)

It imports no Kivy. The server is anything with ``async request(kind, **fields)``
(``queue_server.client.RindaClient``); the printer an async ``print_ticket(ticket)``;
rating an async ``rate(number, stars, tags)``; time an injected clock in epoch ms;
waiting between retries an injected ``sleep``. The flow keeps no thread, no task
and no timer of its own: its state changes only inside the verbs.

Rules it keeps:

- A screen accepts only the verbs ``kiosk.session.MOVES`` lists for it; any other
  tap (from a frame drawn a moment before) does nothing and returns False.
- The idempotency key is made once per tap on print (or check in) and sent again on
  every retry of that tap; a refusal drops it, so the next tap makes a new one.
- The only number ever shown or printed is the ``ticket`` of the server's result.
- Without the server the visitor reads a calm "temporarily unavailable" and the
  flow keeps trying with the same key until the server answers or the visitor leaves.
- A printer fault never loses the number: the ticket stays on the screen.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from kiosk.lobby import Lobby
from kiosk.presenter import present, speech
from kiosk.printing import PrinterError, PrintTicket, fault_code
from kiosk.session import (
    BACK,
    BAD_TAGS,
    CODE_KEYS,
    CODE_LENGTH,
    EVERYWHERE,
    GOOD_TAGS,
    LAST_SCREENS,
    MOVES,
    NUMBER,
    NUMBER_LENGTH,
    STARS,
    Problem,
    Rating,
    Session,
)
from kiosk.settings import KioskSettings
from kiosk.timeouts import Deadline, Phase, deadline
from kiosk.view import Catalog, Screen, View
from queue_server.client import ConnectionLost, RequestFailed, RequestTimeout


class Server(Protocol):
    """What the flow needs of the protocol client."""

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]: ...


#: Records a rating of a finished visit: ticket number, 1-5 stars, tags.
Rate = Callable[[str, int, tuple[str, ...]], Awaitable[object]]
Clock = Callable[[], int]
Sleep = Callable[[float], Awaitable[object]]
Speak = Callable[[list[str]], object]

#: The server is away or slow: try again with the same key.
AWAY = (ConnectionLost, RequestTimeout, TimeoutError, OSError)
#: Refusals that mean "not now" rather than "no": try again with the same key.
RETRY_CODES = frozenset({"unavailable", "rate_limited"})


def new_key() -> str:
    """An idempotency key for one tap (kind ``id`` of the protocol)."""
    return f"kiosk-{secrets.token_hex(8)}"


class KioskFlow:
    """One kiosk: the current visitor's session, the lobby as the server describes it,
    and the verbs the screens call. ``view()`` says what to draw."""

    def __init__(
        self,
        settings: KioskSettings,
        catalog: Catalog,
        *,
        server: Server,
        print_ticket: PrintTicket,
        rate: Rate,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        speak: Speak | None = None,
        make_key: Callable[[], str] = new_key,
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.now = clock
        self._server = server
        self._print_ticket = print_ticket
        self._rate = rate
        self._sleep = sleep
        self._speak = speak
        self._make_key = make_key
        self.volume_scale = settings.volume.scale
        self.volume_step = settings.volume.start_step
        #: The division as last heard from the server; None until the first snapshot.
        self.lobby: Lobby | None = None
        #: Whether the server answers: the client's connection and the last request.
        self.online = False
        #: The printer as the last ticket found it, for the admin: ``ok``, ``offline``,
        #: ``paper_out`` or ``unknown`` (``kiosk.printer.Status``).
        self.printer_status = "ok"
        self.session = Session(lang=settings.languages[0])
        self._touched_at = clock()

    # ================================================================== reading

    @property
    def screen(self) -> Screen:
        """The screen shown now: the session's, or "unavailable" while the kiosk has
        no snapshot or the server is away and nobody is in the middle of a visit."""
        if self.lobby is None:
            return Screen.UNAVAILABLE
        if not self.online and self.session.screen is Screen.START:
            return Screen.UNAVAILABLE
        return self.session.screen

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages offered: the kiosk's, as far as the division offers them."""
        offered = self.lobby.languages if self.lobby else self.settings.languages
        found = tuple(lang for lang in self.settings.languages if lang in offered)
        return found or ("lv",)

    @property
    def quote_pending(self) -> bool:
        s = self.session
        return s.screen is Screen.CONFIRM and s.quote is None and not s.quote_failed

    @property
    def needs_refresh(self) -> bool:
        """The lobby's reception hours are out of date: call ``refresh``."""
        return self.lobby is not None and self.lobby.stale

    def allowed(self, verb: str) -> bool:
        return verb in EVERYWHERE or verb in MOVES[self.screen]

    def view(self) -> View:
        return present(self)

    def speech_lines(self, lang: str | None = None) -> list[str]:
        """The current screen as sentences to read aloud, in ``lang`` (the visitor's)."""
        return speech(self.view(), self.catalog, lang or self.session.lang)

    def deadline(self) -> Deadline | None:
        """When the inactivity warning appears and the kiosk resets; None when no
        timer runs (an untouched start screen, the server or printer at work)."""
        screen = self.screen
        if screen is Screen.PRINTING or (screen is Screen.ISSUING and self.online):
            return None
        if screen in (Screen.START, Screen.UNAVAILABLE) and not self.session.touched:
            return None
        return deadline(
            self._touched_at,
            self.settings.timeouts,
            self.session.accessible,
            screen in LAST_SCREENS,
        )

    # ================================================================== the server

    def receive(self, message: dict[str, Any]) -> None:
        """A message from the server: a snapshot, an event or a queue summary."""
        kind = message.get("type")
        if kind == "snapshot":
            self.lobby = Lobby.from_snapshot(message)
            self.online = True
        elif kind == "event" and self.lobby is not None:
            self.lobby.apply(message.get("event", {}))
            self.online = True
        elif kind == "queues" and self.lobby is not None:
            self.lobby.apply_queues(message.get("queues", {}))
            self.online = True

    def server_away(self) -> None:
        """The connection dropped (the client keeps reconnecting)."""
        self.online = False

    def server_back(self) -> None:
        self.online = True

    async def refresh(self) -> bool:
        """Ask for a fresh snapshot (after a new day or a change of reception hours)."""
        try:
            reply = await self._server.request("snapshot")
        except (RequestFailed, *AWAY):
            return False
        self.receive(reply["snapshot"])
        return True

    # ================================================================== time

    def tick(self) -> None:
        """Call a few times a second: returns to the start after inactivity."""
        found = self.deadline()
        if found is not None and found.phase(self.now()) is Phase.EXPIRED:
            self._reset()

    def extend_time(self) -> bool:
        """The visitor asks for more time (the warning's button; any tap does the same)."""
        return self._begin("extend_time")

    # ================================================================== everywhere

    def choose_language(self, lang: str) -> bool:
        """Switch the language; from the start screen, go on to the services. The
        visitor's choices stay as they are."""
        if lang not in self.languages or not self._begin("choose_language"):
            return False
        self.session.lang = lang
        if self.screen is Screen.START:
            self._go(Screen.SERVICES)
        else:
            self._guide()
        return True

    def toggle_accessible(self) -> bool:
        """High contrast, larger text, controls in reach, speech guidance, longer time."""
        if not self._begin("toggle_accessible"):
            return False
        self.session.accessible = not self.session.accessible
        self._guide()
        return True

    def read_aloud(self) -> bool:
        """Read the screen (on the done screen: the whole ticket) aloud."""
        if not self._begin("read_aloud"):
            return False
        if self._speak is not None:
            self._speak(self.speech_lines())
        return True

    def volume_up(self) -> bool:
        return self._volume(+1)

    def volume_down(self) -> bool:
        return self._volume(-1)

    # ================================================================== moving about

    def go_back(self) -> bool:
        if not self._begin("go_back"):
            return False
        s = self.session
        target = BACK.get(self.screen) or s.origin
        s.problem = None
        if target is Screen.PRIORITY:
            s.quote, s.quote_failed, s.quoted_for = None, False, None
        self._go(target)
        return True

    def go_home(self) -> bool:
        """Start over: everything the visitor chose is forgotten."""
        if self.screen is Screen.ISSUING and self.online:
            return False  # the server is answering: wait for the ticket
        if not self._begin("go_home"):
            return False
        self._reset()
        return True

    def go_next(self) -> bool:
        """From the services to the priority question."""
        if not self._begin("go_next"):
            return False
        s = self.session
        if not s.services:
            return False
        missing = self._unavailable_choice()
        if missing is not None:
            s.problem = Problem("service_unavailable", {"service": missing})
            return False
        s.problem = None
        self._go(Screen.PRIORITY)
        return True

    def open_info(self) -> bool:
        """Reception hours, contacts, and the right to complain."""
        if self.lobby is None or not self._begin("open_info"):
            return False
        self.session.origin = self.session.screen  # not "unavailable": that is only shown
        self._go(Screen.INFO)
        return True

    def open_rating(self) -> bool:
        if not self._begin("open_rating"):
            return False
        self.session.rating = Rating()
        self._go(Screen.RATING)
        return True

    def start_check_in(self) -> bool:
        """The visitor has a booked visit: type its code instead of choosing."""
        if not self._begin("start_check_in"):
            return False
        s = self.session
        s.origin, s.code, s.problem = self.screen, "", None
        self._go(Screen.CODE)
        return True

    # ================================================================== services

    def toggle_service(self, service_id: str) -> bool:
        """Add a service at the end of the visit, or take it out."""
        if not self._begin("toggle_service"):
            return False
        s, lobby = self.session, self._lobby
        if service_id in s.services:
            s.services.remove(service_id)
        elif lobby.service(service_id) is None:
            return False
        elif not lobby.available(service_id):
            s.problem = Problem("service_unavailable", {"service": service_id})
            return False
        else:
            s.services.append(service_id)
        s.problem = None
        return True

    def move_service_up(self, service_id: str) -> bool:
        return self._move(service_id, -1, "move_service_up")

    def move_service_down(self, service_id: str) -> bool:
        return self._move(service_id, +1, "move_service_down")

    def choose_priority(self, priority: str | None) -> bool:
        """A priority category (None: no priority)."""
        if not self._begin("choose_priority"):
            return False
        known = {p["id"] for p in self._lobby.priorities}
        if priority is not None and priority not in known:
            return False
        self.session.priority = priority
        return True

    async def confirm(self) -> bool:
        """Show the summary and ask the server for the estimated wait. When the
        division is closed, the closed screen comes instead: no ticket."""
        if not self._begin("confirm"):
            return False
        s = self.session
        if not s.services:
            return False
        asked = s.choice()
        s.quote, s.quote_failed, s.quoted_for, s.problem = None, False, asked, None
        self._go(Screen.CONFIRM, guide=False)

        def still_asked() -> bool:
            return self.session is s and s.screen is Screen.CONFIRM and s.quoted_for == asked

        try:
            reply = await self._server.request("quote", services=list(asked[0]), priority=asked[1])
        except RequestFailed as failure:
            if still_asked():
                self._refused(Problem(failure.code, failure.details), Screen.SERVICES)
            return False
        except AWAY:
            if still_asked():
                self.online = False
                s.quote_failed = True
                self._guide()
            return False
        if not still_asked():
            return False
        self.online = True
        quote = reply["quote"]
        if quote.get("closing_at") is None:
            await self.refresh()
            if not still_asked():
                return False
            s.next_open = self._lobby.next_opening(self.now())
            self._go(Screen.CLOSED)
            return True
        if quote.get("call_at") is None:
            missing = self._unavailable_choice() or asked[0][0]
            s.problem = Problem("service_unavailable", {"service": missing})
            self._go(Screen.SERVICES)
            return False
        s.quote = quote
        self._guide()
        return True

    async def print(self) -> bool:
        """The tap on "print the ticket": issue it (retrying while the server is away,
        always with this tap's key), then print it."""
        if not self._begin("print") or self.quote_pending or self.session.key is not None:
            return False
        s = self.session
        fields = {"services": list(s.services), "priority": s.priority, "lang": s.lang}
        return await self._issue("issue", fields, Screen.CONFIRM)

    async def reprint(self) -> bool:
        """Print the same ticket again after a printer fault (the number stays)."""
        if not self._begin("reprint") or self.session.ticket is None:
            return False
        await self._print(self.session)
        return True

    # ================================================================== booked visits

    def type_code(self, key: str) -> bool:
        if not self._begin("type_code"):
            return False
        s = self.session
        key = key.upper()
        if len(key) != 1 or key not in CODE_KEYS or len(s.code) >= CODE_LENGTH:
            return False
        s.code += key
        s.problem = None
        return True

    def erase_code(self) -> bool:
        if not self._begin("erase_code") or not self.session.code:
            return False
        self.session.code = self.session.code[:-1]
        self.session.problem = None
        return True

    def enter_code(self, code: str) -> bool:
        """The whole code at once (a hardware keyboard, a scanner); spaces and dashes
        are ignored, letters may be small."""
        if not self._begin("enter_code"):
            return False
        cleaned = "".join(code.split()).replace("-", "").upper()
        if len(cleaned) > CODE_LENGTH or any(c not in CODE_KEYS for c in cleaned):
            return False
        self.session.code = cleaned
        self.session.problem = None
        return True

    async def check_in(self) -> bool:
        """The tap on "check in": the server issues the booked visit's ticket."""
        s = self.session
        if not self._begin("check_in") or len(s.code) != CODE_LENGTH or s.key is not None:
            return False
        return await self._issue("check_in", {"code": s.code, "lang": s.lang}, Screen.CODE)

    # ================================================================== rating

    def type_number(self, key: str) -> bool:
        """A key of the ticket number: a letter first, then three digits."""
        if not self._begin("type_number"):
            return False
        rating = self.session.rating
        key = key.upper()
        position = len(rating.number)
        fits = key.isascii() and (key.isalpha() if position == 0 else key.isdigit())
        if len(key) != 1 or not fits or position >= NUMBER_LENGTH:
            return False
        rating.number += key
        rating.problem = None
        return True

    def erase_number(self) -> bool:
        if not self._begin("erase_number") or not self.session.rating.number:
            return False
        self.session.rating.number = self.session.rating.number[:-1]
        self.session.rating.problem = None
        return True

    def enter_number(self, number: str) -> bool:
        if not self._begin("enter_number"):
            return False
        cleaned = "".join(number.split()).upper()
        if not NUMBER.match(cleaned):
            return False
        self.session.rating.number = cleaned
        self.session.rating.problem = None
        return True

    def set_stars(self, stars: int) -> bool:
        if not self._begin("set_stars") or stars not in STARS:
            return False
        self.session.rating.stars = stars
        return True

    def toggle_tag(self, tag: str) -> bool:
        if not self._begin("toggle_tag") or tag not in GOOD_TAGS + BAD_TAGS:
            return False
        tags = self.session.rating.tags
        if tag in tags:
            tags.remove(tag)
        else:
            tags.append(tag)
        return True

    async def submit_rating(self) -> bool:
        if not self._begin("submit_rating"):
            return False
        s = self.session
        rating = s.rating
        if rating.sending or rating.stars is None or not NUMBER.match(rating.number):
            return False
        rating.sending, rating.problem = True, None
        problem: Problem | None = None
        try:
            await self._rate(rating.number, rating.stars, tuple(rating.tags))
        except RequestFailed as failure:
            problem = Problem(failure.code, failure.details)
        except AWAY:
            problem = Problem("away")
        finally:
            rating.sending = False
        if self.session is not s:
            return False
        if problem is not None:
            rating.problem = problem
            self._guide()
            return False
        self._go(Screen.RATED)
        return True

    # ================================================================== inside

    @property
    def _lobby(self) -> Lobby:
        assert self.lobby is not None, "the verbs past the start screen need a snapshot"
        return self.lobby

    def _begin(self, verb: str) -> bool:
        """A tap: allowed on this screen? Then it counts as activity."""
        if not self.allowed(verb):
            return False
        self._touched_at = self.now()
        self.session.touched = True
        return True

    def _go(self, screen: Screen, guide: bool = True) -> None:
        self.session.screen = screen
        self._touched_at = self.now()
        if guide:
            self._guide()

    def _guide(self) -> None:
        """Speech guidance of the accessible mode: each new screen is read aloud."""
        if self.session.accessible and self._speak is not None:
            self._speak(self.speech_lines())

    def _reset(self) -> None:
        """A new visitor: Latvian, the normal mode, nothing chosen."""
        self.session = Session(lang=self.languages[0])
        self.volume_step = self.settings.volume.start_step
        self._touched_at = self.now()

    def _volume(self, step: int) -> bool:
        verb = "volume_up" if step > 0 else "volume_down"
        if not self._begin(verb):
            return False
        wanted = self.volume_step + step
        if not 0 <= wanted < self.volume_scale.steps:
            return False
        self.volume_step = wanted
        return True

    def _move(self, service_id: str, step: int, verb: str) -> bool:
        if not self._begin(verb):
            return False
        chosen = self.session.services
        if service_id not in chosen:
            return False
        here = chosen.index(service_id)
        there = here + step
        if not 0 <= there < len(chosen):
            return False
        chosen[here], chosen[there] = chosen[there], chosen[here]
        return True

    def _unavailable_choice(self) -> str | None:
        return next((sid for sid in self.session.services if not self._lobby.available(sid)), None)

    async def _issue(self, kind: str, fields: dict[str, Any], back: Screen) -> bool:
        """Send one tap's issue (or check_in) until the server answers it."""
        s = self.session
        key = s.key = self._make_key()
        s.problem = None
        self._go(Screen.ISSUING)
        while True:
            try:
                reply = await self._server.request(kind, key=key, **fields)
            except RequestFailed as failure:
                if self.session is not s:
                    return False
                if failure.code in RETRY_CODES:
                    if not await self._wait_for_server(s):
                        return False
                    continue
                s.key = None
                self._refused(Problem(failure.code, failure.details), back)
                return False
            except AWAY:
                if self.session is not s:
                    return False
                if not await self._wait_for_server(s):
                    return False
                continue
            break
        if self.session is not s:
            # The visitor gave up while the answer was on its way: the ticket stays
            # unprinted on the server (it expires at closing) rather than being
            # shown to whoever stands at the kiosk now.
            return False
        self.online = True
        s.key = None
        s.ticket = reply["ticket"]
        await self._print(s)
        return True

    async def _wait_for_server(self, s: Session) -> bool:
        """The server is away: say so, wait, and tell whether the visitor is still here."""
        if self.online:
            self.online = False
            self._guide()
        await self._sleep(self.settings.timeouts.retry)
        return self.session is s

    async def _print(self, s: Session) -> None:
        assert s.ticket is not None
        s.printer_fault = None
        self._go(Screen.PRINTING)
        try:
            await self._print_ticket(s.ticket)
        except Exception as error:  # whatever failed at the printer, the number stands
            fault: str | None = fault_code(error)
            self.printer_status = error.status if isinstance(error, PrinterError) else "unknown"
        else:
            fault = None
            self.printer_status = "ok"
        if self.session is not s:
            return
        s.printer_fault = fault
        self._go(Screen.DONE)

    def _refused(self, problem: Problem, back: Screen) -> None:
        """The server said no: explain it where the visitor can do something about it."""
        s = self.session
        if problem.code == "division_closed":
            opens, closes = problem.details.get("next_open"), problem.details.get("next_close")
            s.next_open = None
            if isinstance(opens, int) and isinstance(closes, int):
                s.next_open = (opens, closes)
            self._go(Screen.CLOSED)
            return
        s.problem = problem
        if problem.code == "service_unavailable" and back is Screen.CONFIRM:
            back = Screen.SERVICES
        self._go(back)
