"""The Dialog's replies as WhatsApp message bodies: plain text with numbered options.

Free-form WhatsApp messages have no buttons we can send without an approved
template, so each button becomes "N. label" in reading order (rows left to
right, top to bottom): the same order in which the Dialog maps a typed "N"
back to a payload. The Dialog maps numbers to the buttons of the last reply
that has any, so only that reply is numbered; buttons of earlier replies of
the same turn cannot be typed and are left out. A turn's replies are joined
into as few messages as Twilio's 1600-character limit allows. Pure, no I/O.

Not rendered: `ask_contact` (WhatsApp already tells us the number). An
`attachment` goes as its signed link (`Attachment.url`): WhatsApp carries
files only by URL, and a calendar file is not among the media types it
delivers, while a link opens in the phone's calendar.
"""

from __future__ import annotations

from bot.chat import Reply

MAX_BODY_UNITS = 1600  # Twilio's Body limit; counted in UTF-16 units to be safe with emoji
HINT_ICON = "↩️"


def units(text: str) -> int:
    """Length as Twilio may count it: UTF-16 code units (an emoji can be two)."""
    return len(text.encode("utf-16-le")) // 2


def render_turn(replies: list[Reply], *, limit: int = MAX_BODY_UNITS) -> list[str]:
    """One turn's replies as few bodies as fit, in order; only the last buttons numbered.

    Joined rather than sent one by one: Twilio does not promise to deliver
    separate messages in order, and each message costs a request and money.
    """
    last = max((i for i, reply in enumerate(replies) if reply.buttons), default=-1)
    texts = [compose(reply, numbered=i == last) for i, reply in enumerate(replies)]
    return split("\n\n".join(text for text in texts if text), limit=limit)


def render(reply: Reply, *, numbered: bool = True, limit: int = MAX_BODY_UNITS) -> list[str]:
    """The bodies to send for one reply, in order; each at most `limit` units."""
    return split(compose(reply, numbered=numbered), limit=limit)


def compose(reply: Reply, *, numbered: bool = True) -> str:
    """The reply's text, then "N. label" per button and a hint (when `numbered`)."""
    labels = [_one_line(b.label) for row in reply.buttons for b in row] if numbered else []
    blocks = [reply.text.strip()] if reply.text.strip() else []
    if reply.attachment is not None and reply.attachment.url:
        blocks.append(reply.attachment.url)
    if labels:
        blocks.append("\n".join(f"{n}. {label}" for n, label in enumerate(labels, 1)))
        blocks.append(f"{HINT_ICON} 1–{len(labels)}" if len(labels) > 1 else f"{HINT_ICON} 1")
    return "\n\n".join(blocks)


def split(text: str, *, limit: int = MAX_BODY_UNITS) -> list[str]:
    """`text` cut into messages of at most `limit` units, at line breaks, then at spaces."""
    if units(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for line in _pieces(text, limit):
        candidate = f"{current}\n{line}" if current else line
        if units(candidate) <= limit:
            current = candidate
            continue
        if current.strip():
            parts.append(current.strip("\n"))
        current = line
    if current.strip():
        parts.append(current.strip("\n"))
    return parts


def _pieces(text: str, limit: int) -> list[str]:
    """The lines of `text`, any line longer than `limit` cut at spaces (or hard, if none)."""
    pieces: list[str] = []
    for line in text.split("\n"):
        while units(line) > limit:
            cut = _cut_at(line, limit)
            pieces.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        pieces.append(line)
    return pieces


def _cut_at(line: str, limit: int) -> int:
    """Index of the longest prefix within `limit` units, ending at a space when there is one."""
    end = 0
    used = 0
    for index, char in enumerate(line):
        used += units(char)
        if used > limit:
            break
        end = index + 1
    space = line.rfind(" ", 0, end + 1)
    return space if space > 0 else max(end, 1)


def _one_line(label: str) -> str:
    return " ".join(label.split())
