"""Every path and form field name of the web pages (the web adapter's ids).

Report links carry their token in the path; codes and passphrases only ever travel in POST
bodies, so they never appear in a URL, a browser history or a proxy's access log.
"""
from __future__ import annotations

from flows.cards import ActionId

HOME = "/"
STATIC = "/static/style.css"
REPORT = "/r/{token}"  # GET the form, POST a report
SOS = "/r/{token}/sos"  # GET the SOS page, POST the SOS
STATUS = "/receipt"  # GET: enter the receipt code; POST: the status page
DETAILS = "/receipt/details"  # POST: the add-later form (code in the body)
DETAILS_SAVE = "/receipt/details/save"  # POST: save what was added
RECEIPT_ACT = "/receipt/act"  # POST: a button on a message to the reporter (check-in answers)
CONSULT = "/consult"  # GET: the anonymity notice and start button
CONSULT_START = "/consult/start"  # POST: open a case, show the code and passphrase once
CONSULT_OPEN = "/consult/open"  # GET: code + passphrase form; POST: the case page
CONSULT_SEND = "/consult/send"  # POST: a message to the desk
CONSULT_ACT = "/consult/act"  # POST: close, reveal, reveal-save
CONSOLE = "/tryout"  # the try-out console (try-out only)
INBOX = "/tryout/inbox/{unit}/{role}"  # GET: a role's inbox (try-out only)
INBOX_ACT = "/tryout/inbox/{unit}/{role}/act"  # POST: a card button
INBOX_REPLY = "/tryout/inbox/{unit}/{role}/reply"  # POST: a desk answer in a card's thread
CLOCK = "/tryout/clock"  # POST: move the try-out clock forward

# form field names (besides a FormSpec's own field ids)
CSRF = "csrf"
LANG = "lang"
CODE = "code"
PASSPHRASE = "passphrase"
ACTION = "action"
VALUE = "value"
FORM_CONTEXT = "context"
REPORTER = "reporter"  # the optional name or contact of a reporter without an account
PLACE = "place"
DESK = "desk"
TEXT = "text"
REF = "ref"
SECONDS = "seconds"

# CSRF scopes: a token made for one kind of form is refused by every other
SCOPE_REPORT = "report"
SCOPE_RECEIPT = "receipt"
SCOPE_CONSULT = "consult"
SCOPE_CONSOLE = "console"

# buttons a web page acts on, by where they are shown
RECEIPT_ACTIONS = frozenset({ActionId.CHECKIN_ANSWER})
CONSULT_ACTIONS = frozenset({ActionId.CONSULT_CLOSE, ActionId.CONSULT_REVEAL})
INBOX_ACTIONS = frozenset({ActionId.ACKNOWLEDGE, ActionId.RECORD_FOLLOW_UP, ActionId.SNOOZE_FOLLOW_UP,
                           ActionId.CONSULT_REPLY})

# the try-out's web addresses: one inbox per (unit, role)
INBOX_SEP = "/"


def inbox_address(unit_id: str, role: str) -> str:
    return f"{unit_id}{INBOX_SEP}{role}"


def private_box(user_id: str) -> str:
    """The inbox of one person without an account (a web reporter or consulter)."""
    return f"person:{user_id}"
