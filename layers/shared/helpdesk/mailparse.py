"""Inbound mail, parsed (issue 21, e-mail to ticket): the pure layer, no AWS.

`parse(raw)` reads one RFC 5322 message (the bytes SES stored in S3) with the standard
library's `email` package and the modern policy into an `Inbound`: addresses lowercased
(but `recipients` keep the local part's case: a reply token is case-sensitive), the
Message-ID and the ids of In-Reply-To/References without angle brackets, the text/plain
body (or text made from the HTML part when there is no plain one; RFC 3676 format=flowed
undone), the HTML, and every other leaf part as an attachment (`Part`: a sanitized file
name, a generated one when missing). A message without a Message-ID gets a synthetic one
from a SHA-256 of its bytes, so a redelivery of the same bytes keeps the same id.
Malformed input raises `MailUnreadable` (a `ValueError` with a short reason) and nothing
else; the caller records it as dropped with the reason code `unreadable`.

`drop_reason(msg, own_addresses=...)` says why a message must not become a ticket message,
checked in this order (the first that applies wins):

- `no_sender`: no sender address (`parse` refuses such mail; a guard for hand-built ones).
- `loop`: the sender is one of our own addresses (or a `+tag` variant of one), so our own
  mail came back. Outgoing mail (helpdesk.mail) carries no loop header of its own.
- `bounce`: a delivery status notification: `multipart/report; report-type=delivery-status`,
  a `message/delivery-status` part anywhere, or mail from `mailer-daemon@`. Bounces of our
  notifications are the notifications issue's bounce path, never a ticket message.
- `auto_submitted`: `Auto-Submitted` with any value but `no` (RFC 3834: auto-replied,
  auto-generated, auto-notified); out-of-office replies of Gmail and Exchange carry it.
- `auto_reply`: the older vacation headers `X-Autoreply`, `X-Autorespond`,
  `X-Autoreply-From`, `X-Auto-Reply` (any value but no/false/0), or a `multipart/report`
  other than delivery status (read receipts). Microsoft's `X-Auto-Response-Suppress` is NOT
  a reason: Outlook sets it on ordinary person-written mail too (it asks others not to
  auto-answer; it does not say the mail is automatic).
- `bulk`: `Precedence: bulk`, `junk` or `list` (newsletters, mailing lists).

`new_text(msg)` keeps only the new words of a reply (quoted history, attribution line and
signature removed), `ticket_number_in` reads the `[#1042]` subject tag, `reply_token_in` the
`<token>` of a `support+<token>@...` recipient, and `is_note`/`strip_note` recognise a staff
mail whose first non-empty line is `#note` (an internal note).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Literal

DropReason = Literal["no_sender", "loop", "bounce", "auto_submitted", "auto_reply", "bulk"]

# Headers kept on `Inbound.headers` (lowercased names, the first occurrence: the topmost,
# which for the SES verdicts and Authentication-Results is the one SES added).
SAFETY_HEADERS = (
    "auto-submitted",
    "precedence",
    "x-autoreply",
    "x-autorespond",
    "x-autoreply-from",
    "x-auto-reply",
    "x-auto-response-suppress",
    "list-id",
    "list-unsubscribe",
    "return-path",
    "authentication-results",
    "x-ses-spam-verdict",
    "x-ses-virus-verdict",
)
AUTO_REPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autoreply-from", "x-auto-reply")
FALSE_VALUES = frozenset({"no", "false", "0", "off"})
BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})
SYNTHETIC_ID_DOMAIN = "helpdesk.invalid"
MAX_FILENAME = 150
MAX_NESTING = 40
# The email package's header parsers are superlinear (a 1 MB Subject of encoded words takes
# minutes; a 1 KB Content-Type of odd parameters ~10 ms) and its parser reads each part's
# Content-Type about five times. Address and Subject values longer than MAX_HEADER_CHARS
# are read with the lenient (linear) parser or cut; a Content-* field longer than
# MAX_MIME_HEADER_CHARS, Content-* fields longer than MAX_MIME_HEADERS_CHARS together (a
# crafted message then parses in ~3 s at worst), more than MAX_PARTS parts, or more than ten
# times as many lines that look like part delimiters ("--token") make the message
# unreadable. No mail client writes any of these.
MAX_HEADER_CHARS = 32_768
MAX_MIME_HEADER_CHARS = 1_024
MAX_MIME_HEADERS_CHARS = 65_536
MAX_PARTS = 100
OUTLOOK_SEPARATOR = "_" * 32  # the line Outlook writes above a quoted header block
EXTENSIONS = {
    "application/msword": "doc",
    "application/pdf": "pdf",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/zip": "zip",
    "image/bmp": "bmp",
    "image/gif": "gif",
    "image/heic": "heic",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/svg+xml": "svg",
    "image/tiff": "tif",
    "image/webp": "webp",
    "message/delivery-status": "txt",
    "message/rfc822": "eml",
    "text/calendar": "ics",
    "text/csv": "csv",
    "text/html": "html",
    "text/plain": "txt",
    "text/rfc822-headers": "txt",
}


class MailUnreadable(ValueError):
    """The bytes are not a usable message; `str(ex)` is a short reason."""


@dataclass(frozen=True)
class Part:
    """An attachment or inline image."""

    filename: str  # sanitized, never empty, no path components
    content_type: str  # lowercased, e.g. "image/png"
    data: bytes
    inline: bool  # Content-Disposition inline, or a Content-ID without a disposition
    content_id: str | None  # without angle brackets (what `cid:` URLs in the HTML name)


@dataclass(frozen=True)
class Inbound:
    """One parsed inbound message. Addresses are lowercased; ids have no angle brackets."""

    sender: str
    sender_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    # to + cc + Delivered-To/X-Original-To, de-duplicated ignoring case; unlike the other
    # address fields the local part keeps its case: a support+<token>@ token is case-sensitive
    recipients: tuple[str, ...]
    reply_to: tuple[str, ...]
    subject: str
    message_id: str
    synthetic_id: bool  # message_id was made from the bytes (the mail had none)
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]  # oldest first, as sent
    date: datetime | None
    text: str  # text/plain body, or text from the HTML; '' when there is no body
    html: str | None
    attachments: tuple[Part, ...]
    headers: Mapping[str, str]  # SAFETY_HEADERS present on the message
    report_type: str | None  # multipart/report's report-type, lowercased
    delivery_status: bool  # a message/delivery-status part anywhere
    size: int


# ---------------------------------------------------------------------------- parse


def parse(raw: bytes) -> Inbound:
    """The message in `raw`; MailUnreadable when it cannot be one (no From address...)."""
    if not raw.strip():
        raise MailUnreadable("empty message")
    _check_mime_headers(raw)
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        return _inbound(msg, raw)
    except MailUnreadable:
        raise
    except Exception as ex:  # the email package's parsers have odd corners; never leak
        raise MailUnreadable(f"unparsable message ({type(ex).__name__})") from ex


def _inbound(msg: Message, raw: bytes) -> Inbound:
    if not msg.keys():
        raise MailUnreadable("no headers")
    _check_parts(msg)
    senders = _addresses(msg, "from")
    if not senders:
        raise MailUnreadable("no From address")
    sender_name, sender = senders[0][0], senders[0][1].lower()
    to = [a for _, a in _addresses(msg, "to")]
    cc = [a for _, a in _addresses(msg, "cc")]
    delivered = [a for name in ("delivered-to", "x-original-to") for _, a in _addresses(msg, name)]
    message_id = _first_id(_raw(msg, "message-id"))
    synthetic = not message_id
    if synthetic:
        message_id = f"sha256-{hashlib.sha256(raw).hexdigest()}@{SYNTHETIC_ID_DOMAIN}"
    plain = _body_part(msg, "plain")
    html_part = _body_part(msg, "html")
    text = _text_of(plain) if plain is not None else ""
    html = _text_of(html_part) if html_part is not None else None
    if not text.strip() and html:
        text = html_to_text(html)
    attachments, delivery_status = _attachments(msg, skip=(plain, html_part))
    report_type = None
    if msg.get_content_type() == "multipart/report":
        report_type = str(msg.get_param("report-type", "")).lower() or None
    return Inbound(
        sender=sender,
        sender_name=sender_name,
        to=_unique(a.lower() for a in to),
        cc=_unique(a.lower() for a in cc),
        recipients=_unique_folded([*to, *cc, *delivered]),
        reply_to=_unique(a.lower() for _, a in _addresses(msg, "reply-to")),
        subject=_unstructured(msg, "subject"),
        message_id=message_id,
        synthetic_id=synthetic,
        in_reply_to=_ids(_raw(msg, "in-reply-to")),
        references=_ids(_raw(msg, "references")),
        date=_date(_raw(msg, "date")),
        text=text,
        html=html,
        attachments=attachments,
        headers={
            name: _one_line(values[0]) for name in SAFETY_HEADERS if (values := _raw(msg, name))
        },
        report_type=report_type,
        delivery_status=delivery_status,
        size=len(raw),
    )


_DELIMITER = re.compile(rb"^--[^\s]*[ \t]*\r?$", re.M)
_MIME_HEADER = re.compile(rb"^content-[a-z-]*:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*", re.I | re.M)


def _check_mime_headers(raw: bytes) -> None:
    """Refuse Content-* header fields the parser would spend seconds on (any part's)."""
    total = 0
    for found in _MIME_HEADER.finditer(raw):
        size = len(found.group())
        if size > MAX_MIME_HEADER_CHARS:
            name = found.group().split(b":", 1)[0].decode("ascii", "replace")
            raise MailUnreadable(f"{name} header too long")
        total += size
        if total > MAX_MIME_HEADERS_CHARS:
            raise MailUnreadable("MIME headers too long")
    # parts without headers parse at ~0.15 ms each: count delimiter-like lines first
    if len(_DELIMITER.findall(raw)) > 10 * MAX_PARTS:
        raise MailUnreadable("too many MIME parts")


def _check_parts(msg: Message) -> None:
    """Bound the parts, and parse each part's Content-Type/-Disposition once: the policy
    parses a header again on every access unless the parsed header is stored back (not in
    an attached message: that would change the bytes `_data` gives of it)."""
    for count, part in enumerate(_walk(msg), start=1):
        if count > MAX_PARTS:
            raise MailUnreadable("too many MIME parts")
        for name in ("content-type", "content-disposition"):
            if name in part:
                part.replace_header(name, part[name])


def _raw(msg: Message, name: str) -> list[str]:
    """Every value of header `name` as it came (unfolded later; no RFC 2047 decoding)."""
    out = []
    for key, value in msg.raw_items():
        if key.lower() == name:
            out.append(_undo_surrogates(str(value)))
    return out


def _undo_surrogates(value: str) -> str:
    # 8-bit bytes in headers arrive as surrogate escapes; read them as UTF-8
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
        return value.encode("utf-8", "replace").decode("utf-8")


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _unstructured(msg: Message, name: str) -> str:
    """A decoded (RFC 2047) single-line header value; '' when absent."""
    values = _raw(msg, name)
    if not values:
        return ""
    try:
        value = str(policy.default.header_factory(name, values[0][:MAX_HEADER_CHARS]))
    except Exception:
        value = values[0]
    return _one_line(_undo_surrogates(value))


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """(display name, address) for every address in every `name` header; the domain is
    lowercased, the local part kept as written (a reply token in it is case-sensitive)."""
    out: list[tuple[str, str]] = []
    values = _raw(msg, name)
    try:
        if name not in ("from", "to", "cc", "reply-to"):  # no address header to the registry
            raise MailUnreadable("not parsed as addresses")
        if any(len(v) > MAX_HEADER_CHARS for v in values):
            raise MailUnreadable("too long for the structured parser")
        for header in msg.get_all(name) or []:
            for address in getattr(header, "addresses", ()):
                out.append((str(address.display_name), str(address.addr_spec)))
    except Exception:  # not an address header, too long, or the parser choked: the lenient one
        try:
            out = [(n, a) for n, a in getaddresses(values)]
        except Exception:  # (nested comments exhaust its recursion too)
            out = []
    result = []
    for display, address in out:
        address = _undo_surrogates(address).strip().strip("<>")
        local, at, domain = address.rpartition("@")
        if at and local and domain and not any(ch.isspace() for ch in address):
            result.append((_one_line(_undo_surrogates(display)), f"{local}@{domain.lower()}"))
    return result


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _unique_folded(items: Iterable[str]) -> tuple[str, ...]:
    """`items` without case-insensitive repeats, each in its first spelling."""
    seen: dict[str, str] = {}
    for item in items:
        seen.setdefault(item.lower(), item)
    return tuple(seen.values())


_ID = re.compile(r"<([^<>]*)>")


def _ids(values: list[str]) -> tuple[str, ...]:
    """The message ids in In-Reply-To/References values, in order, de-duplicated."""
    out: list[str] = []
    for value in values:
        if "=?" in value:
            # RFC 2047 has no place in these headers, but some writers encode a long one
            # (Python's email package among them): read it as the id it encodes
            value = _decoded_words(value)
        found = _ID.findall(value)
        if not found:  # some mailers omit the brackets
            found = [token for token in value.split() if "@" in token]
        out.extend("".join(i.split()) for i in found)
    return _unique(i for i in out if i)


def _decoded_words(value: str) -> str:
    try:
        return str(make_header(decode_header(value[:MAX_HEADER_CHARS])))
    except Exception:  # malformed encoded words: the value as it came
        return value


def _first_id(values: list[str]) -> str:
    if not values:
        return ""
    found = _ID.findall(values[0])
    return "".join((found[0] if found else values[0]).split())


def _date(values: list[str]) -> datetime | None:
    if not values:
        return None
    try:
        return parsedate_to_datetime(values[0])
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _body_part(msg: Message, subtype: str) -> Message | None:
    get_body = getattr(msg, "get_body", None)
    if get_body is None:
        return None
    part: Message | None = get_body(preferencelist=(subtype,))
    return part


def _text_of(part: Message) -> str:
    """A text part's content as str: its charset, else UTF-8, undecodable bytes replaced."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    charset = str(part.get_content_charset() or "utf-8")
    if charset in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
        charset = "cp1252"  # what every browser reads these labels as (WHATWG)
    try:
        text = data.decode(charset, "replace")
    except (LookupError, TypeError, ValueError):  # unknown or non-text codec
        text = data.decode("utf-8", "replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    if (
        part.get_content_subtype() == "plain"
        and str(part.get_param("format", "")).lower() == "flowed"
    ):
        text = unflow(text, delsp=str(part.get_param("delsp", "")).lower() == "yes")
    return text


def unflow(text: str, *, delsp: bool = False) -> str:
    """RFC 3676 format=flowed text as plain lines: soft breaks joined, stuffing removed."""
    out: list[str] = []
    joined: str | None = None
    joined_depth = 0
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        body = line[depth:]
        if body.startswith(" "):
            body = body[1:]  # space-stuffing (and the space after the quote marks)
        flowed = body.endswith(" ") and body != "-- "
        if flowed and delsp:
            body = body[:-1]
        if joined is not None and depth != joined_depth:
            out.append(_quoted(joined_depth, joined))
            joined = None
        if joined is None:
            joined, joined_depth = body, depth
        else:
            joined += body
        if not flowed:
            out.append(_quoted(depth, joined))
            joined = None
    if joined is not None:
        out.append(_quoted(joined_depth, joined))
    return "\n".join(out)


def _quoted(depth: int, body: str) -> str:
    return ">" * depth + " " + body if depth and body else ">" * depth + body


def _walk(part: Message, depth: int = 0) -> Iterator[Message]:
    """`part` and the parts in it; message/* parts are leaves (a forwarded .eml is a file)."""
    if depth > MAX_NESTING:
        raise MailUnreadable("MIME parts nested too deep")
    yield part
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        for sub in part.get_payload():
            if isinstance(sub, Message):
                yield from _walk(sub, depth + 1)


def _leaves(msg: Message) -> Iterator[Message]:
    return (part for part in _walk(msg) if part.get_content_maintype() != "multipart")


def _attachments(
    msg: Message, *, skip: tuple[Message | None, ...]
) -> tuple[tuple[Part, ...], bool]:
    parts: list[Part] = []
    delivery_status = False
    counters: dict[str, int] = {}
    for leaf in _leaves(msg):
        if any(leaf is s for s in skip):
            continue
        content_type = leaf.get_content_type().lower()
        delivery_status = delivery_status or content_type == "message/delivery-status"
        disposition = leaf.get_content_disposition()
        filename = _safe_filename(_filename(leaf))
        if content_type in ("text/plain", "text/html") and disposition != "attachment":
            if not filename:
                continue  # an alternative body or a report's notification text
        content_id = _first_id([str(leaf.get("content-id", ""))]) or None
        if not filename:
            kind = "image" if content_type.startswith("image/") else "attachment"
            counters[kind] = counters.get(kind, 0) + 1
            filename = f"{kind}-{counters[kind]}.{EXTENSIONS.get(content_type, 'bin')}"
        parts.append(
            Part(
                filename=filename,
                content_type=content_type,
                data=_data(leaf),
                inline=disposition == "inline" or (disposition is None and content_id is not None),
                content_id=content_id,
            )
        )
    return tuple(parts), delivery_status


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return None
    return _undo_surrogates(str(name)) if name else None


def _data(part: Message) -> bytes:
    if part.get_content_maintype() != "message":
        data = part.get_payload(decode=True)
        return data if isinstance(data, bytes) else b""
    payload = part.get_payload()
    if isinstance(payload, list):  # message/rfc822 (one message), delivery-status (blocks)
        try:
            return b"".join(
                m.as_bytes(policy=policy.compat32) for m in payload if isinstance(m, Message)
            )
        except Exception:
            return b""
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def _safe_filename(name: str | None) -> str:
    """`name` without path components, control or reserved characters; '' if nothing left."""
    if not name:
        return ""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    name = _one_line(name).strip(". ")
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and len(ext) <= 16:
            name = stem[: MAX_FILENAME - len(ext) - 1].rstrip(". ") + "." + ext
        else:
            name = name[:MAX_FILENAME].rstrip(". ")
    return name


# ---------------------------------------------------------------------------- HTML to text


class _HtmlText(HTMLParser):
    """Visible text, one line per block; <blockquote> lines prefixed with '> ' per level."""

    BLOCKS = frozenset(
        "address article aside blockquote center dd div dl dt fieldset figcaption figure "
        "footer form h1 h2 h3 h4 h5 h6 header li main nav ol p pre section table tr ul".split()
    )
    HIDDEN = frozenset({"script", "style", "title", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.hidden = 0
        self.in_head = False
        self.pre = 0
        self.links: list[str | None] = []
        self.lists: list[list[int]] = []  # a counter per open <ol>, [] per <ul>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag in self.BLOCKS or tag == "br":
            self.in_head = False  # a <head> never closed
        if tag == "head":
            self.in_head = True
        elif tag == "body":
            self.in_head = False
        elif tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self._flush(force=True)
        elif tag == "hr":
            self._separator()
        elif tag == "a":
            self.links.append(attr.get("href"))
        elif tag in ("td", "th") and self.current:
            self.current.append(" ")
        elif tag in self.BLOCKS:
            self._flush()
            self._open_block(tag, attr)

    def _open_block(self, tag: str, attr: dict[str, str | None]) -> None:
        if tag == "blockquote":
            self.quote_depth += 1
        elif tag == "pre":
            self.pre += 1
        elif tag in ("ol", "ul"):
            self.lists.append([0] if tag == "ol" else [])
        elif tag == "li":
            counter = self.lists[-1] if self.lists else []
            if counter:
                counter[0] += 1
            self.current.append(f"{counter[0]}. " if counter else "- ")
        elif tag == "div" and (
            attr.get("id") == "divRplyFwdMsg"
            or re.search(r"border-top:\s*solid", attr.get("style") or "")
        ):
            self._separator()  # Outlook's quoted header block follows

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.in_head = False
        elif tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "a" and self.links:
            href = self.links.pop()
            text = "".join(self.current)
            if href and href.startswith(("http://", "https://")) and href not in text:
                self.current.append(f" <{href}>")
        elif tag in self.BLOCKS:
            self._flush()
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)
            elif tag in ("ol", "ul") and self.lists:
                self.lists.pop()
            elif tag == "p":
                self.lines.append(">" * self.quote_depth)

    def handle_data(self, data: str) -> None:
        if self.hidden or self.in_head:
            return
        if self.pre:
            first, *rest = data.split("\n")
            self.current.append(first)
            for line in rest:
                self._flush(force=True)
                self.current.append(line)
        else:
            self.current.append(re.sub(r"[ \t\r\n\f]+", " ", data))

    def _flush(self, *, force: bool = False) -> None:
        text = "".join(self.current).replace("\xa0", " ")
        text = text.rstrip() if self.pre else text.strip()
        if text == "--":
            text = "-- "  # the signature delimiter keeps its space
        self.current = []
        if text or force:
            prefix = "> " * self.quote_depth if text else ">" * self.quote_depth
            self.lines.append(prefix + text)

    def _separator(self) -> None:
        self._flush()
        if not self.lines or self.lines[-1] != OUTLOOK_SEPARATOR:
            self.lines.append(OUTLOOK_SEPARATOR)

    def text(self) -> str:
        self._flush()
        return re.sub(r"\n{3,}", "\n\n", "\n".join(self.lines)).strip("\n")


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: blocks and <br> as line breaks, quotes as '> '."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
        return parser.text()
    except Exception:  # html.parser is lenient; this is a last resort
        return _one_line(re.sub(r"<[^>]*>", " ", html))


# ---------------------------------------------------------------------------- drop reasons


def drop_reason(msg: Inbound, *, own_addresses: Collection[str]) -> DropReason | None:
    """Why `msg` must not become a ticket message (see the module docstring), or None."""
    if not msg.sender:
        return "no_sender"
    own = {a.lower() for a in own_addresses}
    if msg.sender in own or _without_tag(msg.sender) in own:
        return "loop"
    local = msg.sender.rpartition("@")[0]
    if msg.report_type == "delivery-status" or msg.delivery_status or local == "mailer-daemon":
        return "bounce"
    headers = msg.headers
    auto_submitted = headers.get("auto-submitted", "").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_submitted"
    if msg.report_type is not None or any(
        name in headers and headers[name].strip().lower() not in FALSE_VALUES
        for name in AUTO_REPLY_HEADERS
    ):
        return "auto_reply"
    if headers.get("precedence", "").strip().lower() in BULK_PRECEDENCE:
        return "bulk"
    return None


def _without_tag(address: str) -> str:
    local, _, domain = address.rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


# ---------------------------------------------------------------------------- routing helpers

_TICKET_TAG = re.compile(r"\[#(\d{1,18})\]")


def ticket_number_in(subject: str) -> int | None:
    """The number of the first `[#1042]` tag anywhere in `subject` (after Re:/AW:/Fwd:...)."""
    found = _TICKET_TAG.search(subject)
    return int(found.group(1)) if found else None


def reply_token_in(recipients: Iterable[str], domain_local_part: str = "support") -> str | None:
    """The `<token>` of the first `<local>+<token>@...` recipient (local part in any case)."""
    prefix = domain_local_part.lower() + "+"
    for address in recipients:
        local = address.strip().rpartition("@")[0]
        if local.lower().startswith(prefix) and len(local) > len(prefix):
            return local[len(prefix) :]
    return None


def is_note(text: str) -> bool:
    """True when the first non-empty line of `text` is `#note` (a staff internal note)."""
    for line in text.splitlines():
        if line.strip():
            return line.strip().lower() == "#note"
    return False


def strip_note(text: str) -> str:
    """`text` without its `#note` line (unchanged when it is no note)."""
    if not is_note(text):
        return text
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip())
    return "\n".join(lines[first + 1 :]).strip("\n")


# ---------------------------------------------------------------------------- new text

# quotequail looks at this many lines at most (its cost grows with the text: ~0.1 s per
# 1,000 lines); a quote starts near the top of a reply, and a text with no quote in its
# first lines is taken whole (what quotequail.quote's own `limit` does).
QUOTE_SCAN_LINES = 1000
# Taglines a client appends to the new text ("Sent from my iPhone"); only a last line.
_TAGLINE = re.compile(
    r"(sent from my \S.{0,40}|sent from (outlook|mail|yahoo mail)\b.{0,40}|"
    r"get outlook for \S.{0,20}|von meinem \S.{0,30} gesendet|gesendet von meinem \S.{0,30}|"
    r"envoy[ée] de mon \S.{0,30}|enviado desde mi \S.{0,30}|inviato da \S.{0,30})",
    re.IGNORECASE,
)
# An attribution line ("On <date>, <name> wrote:") in a language quotequail has no pattern
# for: the '>' quote under it is cut, the line itself would stay.
_ATTRIBUTION = re.compile(
    r".{0,300}\b(wrote|schrieb|a écrit|escribió|ha scritto|napisał\(a\)|napsal\(a\)|"
    r"skrev|kirjoitti|escreveu|schreef|написал\(а\)|yazdı)\b.{0,120}:",
    re.IGNORECASE,
)


def new_text(msg: Inbound) -> str:
    """The new words of `msg.text`: quoted history, attribution and signature removed.

    quotequail (`unwrap`, on text: its HTML functions and lxml are never imported) finds
    the quote, forward or Outlook header block and keeps the text above it (below it when
    nothing is above: a bottom-posted reply). Then, where quotequail does nothing, three
    small steps of ours: everything from a `-- ` signature delimiter line on goes, a client
    tagline as the last line goes ("Sent from my iPhone", "Get Outlook for iOS"), and an
    attribution line left last goes (a language quotequail has no pattern for)."""
    import quotequail  # lazy: only the inbound function pays for it

    lines = msg.text.replace("\r\n", "\n").split("\n")
    found = quotequail.unwrap("\n".join(lines[:QUOTE_SCAN_LINES]))
    if found is None:
        text = "\n".join(lines)
    else:
        text = found.get("text_top", "") or found.get("text_bottom", "")
    return _without_signature(text)


def _without_signature(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    for i, line in enumerate(lines):
        if line == "--":  # "-- " (RFC 3676 4.3) with its space stripped
            lines = lines[:i]
            break
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and _TAGLINE.fullmatch(lines[-1].strip()):
        lines.pop()
    if lines and _ATTRIBUTION.fullmatch(lines[-1].strip()):
        lines.pop()
        if lines and lines[-1].rstrip().endswith(("<", "(")):
            lines.pop()  # its first half: Gmail wraps "Name <" / "address> wrote:"
    return "\n".join(lines).strip("\n")
