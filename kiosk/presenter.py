"""What each screen presents: the flow's state turned into a ``View``, and a view
turned into lines to read aloud.

One function per screen. They read the flow (its session, the lobby, whether the
server is there, the clock) and change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Required, TypedDict

from kiosk.session import (
    BAD_TAGS,
    CODE_KEYS,
    CODE_LENGTH,
    GOOD_TAGS,
    NUMBER,
    NUMBER_KEYS,
    NUMBER_LENGTH,
    STARS,
    Problem,
)
from kiosk.timeouts import Phase
from kiosk.view import (
    Button,
    Catalog,
    Countdown,
    Entry,
    Item,
    Level,
    Local,
    Message,
    Screen,
    Text,
    TicketView,
    View,
    Words,
    say,
    text,
)
from kiosk.wording import (
    clock_time,
    explain,
    opening_words,
    service_name,
    today_hours,
    wait_words,
    week_rows,
)

if TYPE_CHECKING:
    from kiosk.flow import KioskFlow
    from kiosk.lobby import Lobby

#: The order the contact channels are listed in (as the customer-service standard does).
CONTACTS = ("phone", "email", "address", "website", "portal", "forum", "facebook", "twitter")


def present(flow: KioskFlow) -> View:
    screen = flow.screen
    body = _SCREENS[screen](flow)
    s = flow.session
    return View(
        screen=screen,
        lang=s.lang,
        accessible=s.accessible,
        controls=_controls(flow),
        countdown=_countdown(flow),
        volume=(flow.volume_step, flow.volume_scale.steps),
        **body,
    )


# ---------------------------------------------------------------------- screens


class Body(TypedDict, total=False):
    """The part of a ``View`` that depends on the screen."""

    title: Required[Words]
    items: tuple[Item, ...]
    messages: tuple[Message, ...]
    buttons: tuple[Button, ...]
    entry: Entry | None
    ticket: TicketView | None
    busy: bool


def _start(flow: KioskFlow) -> Body:
    lobby = _lobby(flow)
    messages = [Message(Level.INFO, today_hours(lobby))]
    if not lobby.is_open(flow.now()):
        messages.append(_closed_now(flow, lobby))
    return {
        "title": text("kiosk.start.title", division=Local(lobby.division["name"])),
        "items": tuple(
            # A tap goes straight on in that language: a button, not a choice to tick.
            Item(
                id=lang,
                label=text(f"language.{lang}"),
                verb="choose_language",
                args=(lang,),
                choice=False,
            )
            for lang in flow.languages
        ),
        "messages": tuple(messages),
        "buttons": (
            Button("open_info", text("kiosk.button.info")),
            Button("open_rating", text("kiosk.button.rate")),
        ),
    }


def _services(flow: KioskFlow) -> Body:
    lobby = _lobby(flow)
    s = flow.session
    open_now = lobby.is_open(flow.now())
    items = []
    for service in lobby.services:
        sid = service["id"]
        available = lobby.available(sid)
        chosen = sid in s.services
        position = s.services.index(sid) + 1 if chosen else None
        lines: list[Words] = [
            Local(service["description"]),
            text("kiosk.services.bring", what=Local(service["bring"])),
        ]
        if service.get("fee"):
            lines.append(Local(service["fee"]))
        if available:
            lines.append(
                text(
                    "kiosk.services.wait",
                    wait=wait_words(lobby.estimate_ms(sid)),
                    waiting=lobby.waiting(sid),
                )
            )
        reason = None
        if not available:
            reason = text(
                "kiosk.services.reason_closed" if not open_now else "kiosk.services.reason_counter"
            )
        buttons: tuple[Button, ...] = ()
        if chosen and len(s.services) > 1:
            buttons = (
                Button("move_service_up", text("kiosk.services.move_up"), (sid,), position != 1),
                Button(
                    "move_service_down",
                    text("kiosk.services.move_down"),
                    (sid,),
                    position != len(s.services),
                ),
            )
        items.append(
            Item(
                id=sid,
                label=Local(service["name"]),
                lines=tuple(lines),
                verb="toggle_service",
                args=(sid,),
                selected=chosen,
                position=position,
                enabled=available or chosen,
                note=reason,
                buttons=buttons,
            )
        )
    messages = _problem(flow) + _away(flow)
    if not open_now:
        messages += (_closed_now(flow, lobby),)
    if not s.services:
        messages += (Message(Level.INFO, text("kiosk.services.hint")),)
    elif len(s.services) > 1:
        messages += (Message(Level.INFO, text("kiosk.services.order")),)
    ready = bool(s.services) and all(lobby.available(sid) for sid in s.services)
    return {
        "title": text("kiosk.services.title"),
        "items": tuple(items),
        "messages": messages,
        "buttons": (
            Button("go_next", text("kiosk.button.continue"), enabled=ready, primary=True),
            Button("start_check_in", text("kiosk.button.booked")),
            Button("open_info", text("kiosk.button.info")),
            Button("go_back", text("kiosk.button.back")),
            Button("go_home", text("kiosk.button.home")),
        ),
    }


def _priority(flow: KioskFlow) -> Body:
    lobby = _lobby(flow)
    s = flow.session
    items = [
        Item(
            id="none",
            label=text("kiosk.priority.none"),
            verb="choose_priority",
            args=(None,),
            selected=s.priority is None,
        )
    ]
    items += [
        Item(
            id=p["id"],
            label=Local(p["label"]),
            verb="choose_priority",
            args=(p["id"],),
            selected=s.priority == p["id"],
        )
        for p in lobby.priorities
    ]
    return {
        "title": text("kiosk.priority.title"),
        "items": tuple(items),
        "messages": (
            Message(Level.INFO, text("kiosk.priority.hint")),
            *_problem(flow),
            *_away(flow),
        ),
        "buttons": (
            Button("confirm", text("kiosk.button.continue"), primary=True),
            Button("start_check_in", text("kiosk.button.booked")),
            Button("go_back", text("kiosk.button.back")),
            Button("go_home", text("kiosk.button.home")),
        ),
    }


def _code(flow: KioskFlow) -> Body:
    s = flow.session
    too_late = s.problem is not None and s.problem.code == "appointment_too_late"
    return {
        "title": text("kiosk.code.title"),
        "entry": Entry(
            label=text("kiosk.code.label", length=CODE_LENGTH),
            value=s.code,
            keys=CODE_KEYS,
            length=CODE_LENGTH,
            verb="type_code",
            erase_verb="erase_code",
        ),
        "messages": (
            Message(Level.INFO, text("kiosk.code.hint")),
            *_problem(flow),
            *_away(flow),
        ),
        "buttons": (
            Button(
                "check_in",
                text("kiosk.button.check_in"),
                enabled=len(s.code) == CODE_LENGTH,
                primary=True,
            ),
            Button("go_back", text(f"kiosk.button.{'take_ticket' if too_late else 'back'}")),
            Button("go_home", text("kiosk.button.home")),
        ),
    }


def _confirm(flow: KioskFlow) -> Body:
    lobby = _lobby(flow)
    s = flow.session
    items = [
        Item(
            id=sid,
            label=service_name(lobby, sid),
            lines=_bring(lobby, sid),
            position=n,
        )
        for n, sid in enumerate(s.services, 1)
    ]
    if s.priority is not None:
        label = next((p["label"] for p in lobby.priorities if p["id"] == s.priority), None)
        items.append(
            Item(
                id="priority",
                label=text("kiosk.confirm.priority"),
                lines=(Local(label or {"lv": s.priority}),),
            )
        )
    messages: list[Message] = []
    quote = s.quote
    if quote is not None:
        messages.append(
            Message(
                Level.INFO,
                text(
                    "kiosk.confirm.wait",
                    wait=wait_words(quote.get("wait_ms")),
                    time=clock_time(quote["call_at"], lobby),
                ),
            )
        )
        if quote.get("past_closing"):
            messages.append(
                Message(
                    Level.WARNING,
                    text(
                        "kiosk.confirm.past_closing",
                        time=clock_time(quote["call_at"], lobby),
                        close=clock_time(quote["closing_at"], lobby),
                    ),
                )
            )
    elif s.quote_failed:
        messages.append(Message(Level.WARNING, text("kiosk.confirm.no_estimate")))
    else:
        messages.append(Message(Level.INFO, text("kiosk.confirm.estimating")))
    buttons = [
        Button(
            "print",
            text("kiosk.button.print"),
            enabled=not flow.quote_pending,
            primary=True,
        )
    ]
    if s.quote_failed:
        buttons.append(Button("confirm", text("kiosk.button.estimate_again")))
    buttons += [
        Button("go_back", text("kiosk.button.change")),
        Button("go_home", text("kiosk.button.home")),
    ]
    return {
        "title": text("kiosk.confirm.title"),
        "items": tuple(items),
        "messages": tuple(messages) + _problem(flow) + _away(flow),
        "buttons": tuple(buttons),
        "busy": flow.quote_pending,
    }


def _closed(flow: KioskFlow) -> Body:
    lobby = _lobby(flow)
    s = flow.session
    opening = s.next_open or lobby.next_opening(flow.now())
    return {
        "title": text("kiosk.closed.title"),
        "messages": (
            Message(Level.WARNING, text("kiosk.closed.no_ticket")),
            Message(Level.INFO, today_hours(lobby)),
            Message(Level.INFO, opening_words(opening, lobby)),
        ),
        "buttons": (
            Button("open_info", text("kiosk.button.info")),
            Button("go_home", text("kiosk.button.home"), primary=True),
        ),
    }


def _issuing(flow: KioskFlow) -> Body:
    if flow.online:
        return {
            "title": text("kiosk.issuing.title"),
            "messages": (Message(Level.INFO, text("kiosk.issuing.wait")),),
            "busy": True,
        }
    return {
        "title": text("kiosk.issuing.title"),
        "messages": (Message(Level.WARNING, text("kiosk.issuing.away")),),
        "buttons": (Button("go_home", text("kiosk.button.cancel")),),
        "busy": True,
    }


def _printing(flow: KioskFlow) -> Body:
    return {
        "title": text("kiosk.printing.title"),
        "ticket": _ticket(flow),
        "messages": (Message(Level.INFO, text("kiosk.printing.wait")),),
        "busy": True,
    }


def _done(flow: KioskFlow) -> Body:
    s = flow.session
    ticket = s.ticket or {}
    messages: list[Message] = []
    buttons: list[Button] = []
    if s.printer_fault is None:
        messages.append(Message(Level.INFO, text("kiosk.done.take")))
    else:
        messages.append(Message(Level.ERROR, text(f"kiosk.printer.{s.printer_fault}")))
        messages.append(
            Message(Level.INFO, text("kiosk.done.on_screen", number=ticket.get("number", "")))
        )
        buttons.append(Button("reprint", text("kiosk.button.reprint")))
    if ticket.get("past_closing"):
        messages.append(Message(Level.WARNING, text("kiosk.done.past_closing")))
    buttons.append(Button("go_home", text("kiosk.button.finish"), primary=True))
    shown = _ticket(flow)
    if shown is not None and s.printer_fault is not None and ticket.get("status_url"):
        # No paper ticket: the visitor can follow the queue on a phone instead.
        shown = replace(
            shown, status_url=ticket["status_url"], qr_words=text("kiosk.done.status_qr")
        )
    return {
        "title": text("kiosk.done.title"),
        "ticket": shown,
        "messages": tuple(messages),
        "buttons": tuple(buttons),
    }


def _info(flow: KioskFlow) -> Body:
    lobby = _lobby(flow)
    division = lobby.division
    items = [
        Item(
            id="division",
            label=Local(division["name"]),
            lines=(Local(division["notes"]),) if division.get("notes") else (),
        ),
        Item(id="today", label=text("kiosk.info.today"), lines=(today_hours(lobby),)),
    ]
    if not lobby.is_open(flow.now()):
        items.append(
            Item(
                id="next",
                label=text("kiosk.info.next"),
                lines=(opening_words(lobby.next_opening(flow.now()), lobby),),
            )
        )
    items.append(
        Item(
            id="week",
            label=text("kiosk.info.week"),
            lines=tuple(
                text("kiosk.info.week_row", day=day, hours=hours) for day, hours in week_rows(lobby)
            ),
        )
    )
    contacts = lobby.contacts
    items.append(
        Item(
            id="contacts",
            label=text("kiosk.info.contacts"),
            lines=tuple(
                text(f"kiosk.info.{name}", value=contacts[name])
                for name in CONTACTS
                if contacts.get(name)
            ),
        )
    )
    items.append(
        Item(
            id="complaint",
            label=text("kiosk.info.complaint"),
            lines=(
                text(
                    "complaint.right",
                    address=contacts.get("address", ""),
                    email=contacts.get("email", ""),
                ),
            ),
        )
    )
    items.append(
        Item(id="rating", label=text("kiosk.info.rating"), lines=(text("kiosk.info.rating_how"),))
    )
    return {
        "title": text("kiosk.info.title"),
        "items": tuple(items),
        "messages": _away(flow),
        "buttons": (
            Button("go_back", text("kiosk.button.back"), primary=True),
            Button("go_home", text("kiosk.button.home")),
        ),
    }


def _rating(flow: KioskFlow) -> Body:
    rating = flow.session.rating
    items = [
        Item(
            id=f"stars-{n}",
            label=text("kiosk.rating.stars", stars=n),
            verb="set_stars",
            args=(n,),
            selected=rating.stars == n,
        )
        for n in STARS
    ]
    for group, tags in (("good", GOOD_TAGS), ("bad", BAD_TAGS)):
        items += [
            Item(
                id=f"tag-{tag}",
                label=text(f"kiosk.rating.tag.{tag}"),
                lines=(text(f"kiosk.rating.{group}"),),
                verb="toggle_tag",
                args=(tag,),
                selected=tag in rating.tags,
            )
            for tag in tags
        ]
    messages = [Message(Level.INFO, text("kiosk.rating.hint"))]
    if rating.problem is not None:
        messages.append(Message(Level.ERROR, explain(rating.problem, flow.lobby)))
    ready = bool(NUMBER.match(rating.number)) and rating.stars is not None and not rating.sending
    return {
        "title": text("kiosk.rating.title"),
        "entry": Entry(
            label=text("kiosk.rating.number"),
            value=rating.number,
            keys=NUMBER_KEYS,
            length=NUMBER_LENGTH,
            verb="type_number",
            erase_verb="erase_number",
        ),
        "items": tuple(items),
        "messages": tuple(messages) + _away(flow),
        "buttons": (
            Button("submit_rating", text("kiosk.button.send"), enabled=ready, primary=True),
            Button("go_back", text("kiosk.button.back")),
            Button("go_home", text("kiosk.button.home")),
        ),
        "busy": rating.sending,
    }


def _rated(flow: KioskFlow) -> Body:
    return {
        "title": text("kiosk.rated.title"),
        "messages": (Message(Level.INFO, text("kiosk.rated.thanks")),),
        "buttons": (Button("go_home", text("kiosk.button.finish"), primary=True),),
    }


def _unavailable(flow: KioskFlow) -> Body:
    buttons = (Button("open_info", text("kiosk.button.info")),) if flow.lobby else ()
    return {
        "title": text("kiosk.unavailable.title"),
        "messages": (Message(Level.INFO, text("kiosk.unavailable.retrying")),),
        "buttons": buttons,
        "busy": True,
    }


_SCREENS: dict[Screen, Callable[[KioskFlow], Body]] = {
    Screen.START: _start,
    Screen.SERVICES: _services,
    Screen.PRIORITY: _priority,
    Screen.CODE: _code,
    Screen.CONFIRM: _confirm,
    Screen.CLOSED: _closed,
    Screen.ISSUING: _issuing,
    Screen.PRINTING: _printing,
    Screen.DONE: _done,
    Screen.INFO: _info,
    Screen.RATING: _rating,
    Screen.RATED: _rated,
    Screen.UNAVAILABLE: _unavailable,
}


# ---------------------------------------------------------------------- parts


def _lobby(flow: KioskFlow) -> Lobby:
    assert flow.lobby is not None, "every screen but 'unavailable' needs the snapshot"
    return flow.lobby


def _bring(lobby: Lobby, service_id: str) -> tuple[Words, ...]:
    service = lobby.service(service_id)
    if service is None:
        return ()
    return (text("kiosk.services.bring", what=Local(service["bring"])),)


def _closed_now(flow: KioskFlow, lobby: Lobby) -> Message:
    opening = lobby.next_opening(flow.now())
    return Message(Level.WARNING, text("kiosk.start.closed", when=opening_words(opening, lobby)))


def _problem(flow: KioskFlow) -> tuple[Message, ...]:
    problem: Problem | None = flow.session.problem
    if problem is None:
        return ()
    level = Level.WARNING if problem.code == "appointment_too_early" else Level.ERROR
    return (Message(level, explain(problem, flow.lobby, flow.session.code)),)


def _away(flow: KioskFlow) -> tuple[Message, ...]:
    return () if flow.online else (Message(Level.WARNING, text("kiosk.banner.away")),)


def _ticket(flow: KioskFlow) -> TicketView | None:
    ticket = flow.session.ticket
    lobby = flow.lobby
    if ticket is None or lobby is None:
        return None
    lines: list[Words] = []
    for n, sid in enumerate(ticket["services"], 1):  # each service with what to bring
        lines.append(text("kiosk.done.service", position=n, name=service_name(lobby, sid)))
        lines += _bring(lobby, sid)
    if ticket.get("due"):
        lines.append(text("kiosk.done.booked", time=clock_time(ticket["due"], lobby)))
    lines.append(text("kiosk.done.ahead", count=ticket.get("ahead", 0)))
    if ticket.get("estimate") is not None:
        lines.append(
            text(
                "kiosk.done.wait",
                wait=wait_words(ticket.get("wait_ms")),
                time=clock_time(ticket["estimate"], lobby),
            )
        )
    lines.append(text("kiosk.done.issued", time=clock_time(ticket["issued_at"], lobby)))
    return TicketView(number=ticket["number"], lines=tuple(lines))


def _controls(flow: KioskFlow) -> tuple[Button, ...]:
    s = flow.session
    controls = [
        Button("choose_language", text(f"language.{lang}"), (lang,), enabled=lang != s.lang)
        for lang in flow.languages
    ]
    controls.append(
        Button(
            "toggle_accessible",
            text("kiosk.control.accessible_off" if s.accessible else "kiosk.control.accessible_on"),
        )
    )
    controls.append(Button("read_aloud", text("kiosk.control.read_aloud")))
    if s.accessible:
        step, steps = flow.volume_step, flow.volume_scale.steps
        controls.append(Button("volume_down", text("kiosk.control.quieter"), enabled=step > 0))
        controls.append(Button("volume_up", text("kiosk.control.louder"), enabled=step < steps - 1))
    return tuple(controls)


def _countdown(flow: KioskFlow) -> Countdown | None:
    found = flow.deadline()
    now = flow.now()
    if found is None or found.phase(now) is not Phase.WARNING:
        return None
    seconds = found.seconds_left(now)
    return Countdown(
        seconds_left=seconds,
        words=text("kiosk.timeout.warning", seconds=seconds),
        button=Button("extend_time", text("kiosk.timeout.more_time"), primary=True),
    )


# ---------------------------------------------------------------------- speech


def level_word(level: Level) -> Text:
    """The word that goes with a message's icon: nothing is told by colour alone."""
    return text(f"kiosk.banner.{level.value}")


def chosen_word(item: Item) -> Text | None:
    """The word a chosen row shows beside its tick (or its place in the visit)."""
    if item.position is not None:
        return text("kiosk.services.chosen_position", position=item.position)
    return text("kiosk.services.chosen") if item.selected else None


def speech(view: View, catalog: Catalog, lang: str) -> list[str]:
    """The screen as sentences to read aloud, most important first: the countdown,
    the title, the ticket, the messages, the field, the rows, the buttons."""

    def words(w: Words) -> str:
        return say(w, catalog, lang)

    lines: list[str] = []
    if view.countdown is not None:
        lines.append(words(view.countdown.words))
    lines.append(words(view.title))
    if view.ticket is not None:
        spoken = " ".join(view.ticket.number)
        lines.append(words(text("kiosk.speech.number", number=spoken)))
        lines += [words(line) for line in view.ticket.lines]
        if view.ticket.qr_words is not None:
            lines.append(words(view.ticket.qr_words))
    for message in view.messages:  # a warning or a problem is said to be one
        said: Words = message.words
        if message.level is not Level.INFO:
            said = text("kiosk.banner.labelled", level=level_word(message.level), text=said)
        lines.append(words(said))
    if view.entry is not None:
        typed = " ".join(view.entry.value) or words(text("kiosk.speech.empty"))
        lines.append(words(text("kiosk.speech.entry", label=view.entry.label, value=typed)))
    for item in view.items:
        head = words(item.label)
        if item.position is not None:
            head = words(text("kiosk.speech.position", position=item.position, label=head))
        elif item.selected:
            head = words(text("kiosk.speech.selected", label=head))
        lines.append(head)
        lines += [words(line) for line in item.lines]
        if item.note is not None:
            lines.append(words(item.note))
    lines += [
        words(text("kiosk.speech.button", label=button.label))
        for button in sorted(view.buttons, key=lambda b: not b.primary)
        if button.enabled
    ]
    return lines
