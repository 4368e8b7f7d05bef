"""What a person typed to the bot, decided once for every platform.

An adapter translates a message into (text, `Where`, who), calls `route_message` and shows the
`ChatOutcome`'s cards; what the words mean is decided here (`interpret`, a pure function), so
the same input gives the same outcome on Slack, Teams and any later chat. (Clicks need no
routing: each `ActionId` belongs to the capability that made the button.)

    where                 report  sos  help  nothing       consult        bind       other words
    DM                    form    SOS  help  consultation  consultation   refused    consultation
    CHANNEL (or THREAD)   form    SOS  help  help          refused        bind       unknown
    a command (/kasuhara) form    SOS  help  help          consultation   as above   unknown

- DM: the person's private chat with the bot. Words that are no command are an anonymous
  consultation: relayed to the open case, or a case is offered.
- `bind` binds the conversation it is written in to a role. In a DM it is refused with how to
  do it, and NOT relayed to the consultation desk (Slack used to relay it while Teams refused
  it): a command that reaches HR by surprise is worse than a hint, and nobody's DM is a role's
  target.
- CHANNEL: others read what was written there, so a consultation is refused with the way to
  the DM, unless only the bot read the words (`Where.command`: a Slack slash command); then
  the consultation goes on in the person's DM.
- THREAD: a reply in the thread of a channel post. In the thread of a consultation post,
  whatever is written to the bot is the desk's answer to the employee, even when it starts
  with a command word; in any other thread it means what it means in the channel. A reply the
  bot merely sees (`addressed=False`: Slack delivers every reply in the channels it is in)
  means nothing unless it answers a consultation. A desk member may also answer in a thread
  of their DM with the bot.
- An SOS that could not be recorded still answers "call 110" (`sos.failed`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from flows.app import Flows
from flows.cards import ActionId, Card, CardAction, Tone, notice_card
from flows.commands import Command, CommandKind, parse_command
from flows.i18n import Translator, normalize_locale
from flows.model import Actor

log = logging.getLogger(__name__)


class Place(str, Enum):
    DM = "dm"  # the person's private chat with the bot
    CHANNEL = "channel"  # a channel or group chat: others read along
    THREAD = "thread"  # a reply in the thread of a channel post


@dataclass(frozen=True)
class Where:
    """Where (and how) a message was written, as far as its meaning depends on it."""

    kind: Place
    conversation: str = ""  # the chat's address, what `bind` binds (Slack channel id, Teams conversation key)
    thread: str = ""  # the thread's root post as the outbox stored its ref ("" outside a thread)
    addressed: bool = True  # False: a thread reply the bot merely sees (not @mentioned)
    command: bool = False  # typed as a command (Slack's /kasuhara): only the bot read the words


class Meaning(str, Enum):
    REPORT = "report"  # open the report form (the card: a launcher, where a click is needed)
    SOS = "sos"
    HELP = "help"
    BIND = "bind"
    CONSULTATION = "consultation"  # relayed to the open case, or a case offered
    DESK_ANSWER = "desk_answer"  # the desk answered a consultation in its thread
    REFUSED = "refused"  # a command that does not work here: the card says where it does
    UNKNOWN = "unknown"
    NOTHING = "nothing"  # not for the bot: show nothing


@dataclass(frozen=True)
class Intent:
    """What the words mean; `desk_thread`: first try them as the desk's answer in that thread."""

    meaning: Meaning
    command: Command
    desk_thread: str = ""


@dataclass(frozen=True)
class ChatOutcome:
    """What the message meant and the cards to show the person (in the conversation it came from)."""

    meaning: Meaning
    cards: tuple[Card, ...] = ()


def interpret(flows: Flows, text: str, where: Where, who: Actor) -> Intent:
    """Decide what a message means (the table in the module docstring); no I/O."""
    command = parse_command(text)
    kind, dm = command.kind, where.kind is Place.DM
    answers_desk = where.kind is Place.THREAD or (dm and flows.consultation.is_desk(who))
    desk_thread = where.thread if where.thread and answers_desk else ""
    if where.kind is Place.THREAD and not where.addressed:
        meaning = Meaning.NOTHING
    elif kind is CommandKind.REPORT:
        meaning = Meaning.REPORT
    elif kind is CommandKind.SOS:
        meaning = Meaning.SOS
    elif kind is CommandKind.HELP or (kind is CommandKind.EMPTY and (not dm or where.command)):
        meaning = Meaning.HELP
    elif kind is CommandKind.BIND:
        meaning = Meaning.REFUSED if dm else Meaning.BIND
    elif kind is CommandKind.CONSULT:
        meaning = Meaning.CONSULTATION if dm or where.command else Meaning.REFUSED
    elif dm and not where.command:  # other words (or nothing) in the DM: a consultation
        meaning = Meaning.CONSULTATION
    else:
        meaning = Meaning.UNKNOWN
    return Intent(meaning, command, desk_thread)


async def route_message(flows: Flows, text: str, where: Where, who: Actor, *, locale: str | None,
                        request_key: str, has_attachment: bool = False) -> ChatOutcome:
    """Decide what a typed message means, do it, and return what to show."""
    return await perform(flows, interpret(flows, text, where, who), text, who, locale=locale,
                         request_key=request_key, has_attachment=has_attachment, conversation=where.conversation)


async def perform(flows: Flows, intent: Intent, text: str, who: Actor, *, locale: str | None, request_key: str,
                  has_attachment: bool = False, conversation: str = "") -> ChatOutcome:
    """Carry out an `Intent` (adapters that must answer before slow work call `interpret` first)."""
    t = Translator(normalize_locale(locale, flows.policy.locale))
    if intent.desk_thread:
        card = await flows.consultation.hr_reply(who.platform, who, intent.desk_thread, text, where=conversation,
                                                 locale=locale, request_key=request_key)
        if card is not None:
            files = (notice_card(t("consult.desk.files_not_sent"), tone=Tone.WARNING),) if has_attachment else ()
            return ChatOutcome(Meaning.DESK_ANSWER, (card, *files))
    meaning, argument = intent.meaning, intent.command.argument
    if meaning is Meaning.NOTHING:
        return ChatOutcome(meaning)
    if meaning is Meaning.REPORT:
        return ChatOutcome(meaning, (report_launcher(t),))
    if meaning is Meaning.SOS:
        return ChatOutcome(meaning, (await _sos(flows, who, argument, locale, request_key, t),))
    if meaning is Meaning.HELP:
        return ChatOutcome(meaning, (flows.incidents.help_card(locale),))
    if meaning is Meaning.BIND:
        return ChatOutcome(meaning, (await flows.incidents.bind_target(who, argument, conversation, locale=locale),))
    if meaning is Meaning.REFUSED:
        key = "chat.bind.channel_only" if intent.command.kind is CommandKind.BIND else "chat.consult.dm_only"
        return ChatOutcome(meaning, (notice_card(t(key)),))
    if meaning is Meaning.CONSULTATION:
        cards = await flows.consultation.handle_dm(who, text, has_attachment=has_attachment, locale=locale,
                                                   request_key=request_key)
        return ChatOutcome(meaning, tuple(cards))
    return ChatOutcome(Meaning.UNKNOWN, (flows.incidents.unknown_command_card(locale),))


def report_launcher(t: Translator) -> Card:
    """Answer `report` where no form can open at once: one button opens it."""
    return Card(title=t("report.launcher.title"), lines=(t("report.launcher.intro"),),
                actions=(CardAction(ActionId.OPEN_REPORT, t("report.launcher.open"), "", primary=True),))


async def _sos(flows: Flows, who: Actor, place: str, locale: str | None, request_key: str, t: Translator) -> Card:
    try:
        return await flows.incidents.raise_sos(who, place, locale=locale, request_key=request_key)
    except Exception as error:  # whatever failed, the person in danger must still read "call 110"
        log.error("SOS could not be recorded: %s", type(error).__name__)
        return notice_card(t("sos.failed"), tone=Tone.DANGER)
