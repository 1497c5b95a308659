"""Outbound mail through Amazon SES v2: the one module that talks to SES.

A mail is composed as raw MIME (stdlib `email`, `EmailMessage` with the modern policy:
text and HTML alternatives, and the headers SES's simple content cannot carry:
In-Reply-To, References, List-Unsubscribe, List-Unsubscribe-Post) from Jinja2 templates
(`helpdesk/mail_templates/<name>.txt|.html`, autoescaped HTML; `MAIL_TEMPLATE_DIR` holds
an operator's overrides, tried first), and sent with `sesv2 send_email` through the
configuration set. SES assigns the Message-ID: `send` returns SES's id and `header_id`
spells the header SES gives the mail, which later mail about the ticket refers to.

Throttling (`TooManyRequestsException`, SES's sending rate) is retried here with full
jitter and doubling pauses, bounded by attempts and the invocation's remaining time;
other errors raise at once (docs/design.md, "Mail").
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from aws_lambda_powertools import Logger

from helpdesk.aws import error_code
from helpdesk.settings import mail_settings

if TYPE_CHECKING:
    from jinja2 import Environment

logger = Logger(service="helpdesk")

TEMPLATES = Path(__file__).parent / "mail_templates"
THROTTLED = frozenset({"TooManyRequestsException", "Throttling", "ThrottlingException"})
MAX_ATTEMPTS = 6
BASE_DELAY_SECONDS = 0.1
MAX_DELAY_SECONDS = 5.0


class SendThrottled(RuntimeError):
    """SES kept throttling past the retries: the record is reported failed and retried."""


class Mail(NamedTuple):
    """A composed mail and its envelope recipients."""

    message: EmailMessage
    to: list[str]


@lru_cache(maxsize=1)
def client() -> Any:
    from botocore.config import Config

    from helpdesk.aws import new_client

    # no hidden retries: throttling is retried (and counted) by `send`
    config = Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=2)
    return new_client("sesv2", config)


@lru_cache(maxsize=1)
def templates() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    override = mail_settings().mail_template_dir
    paths = [override, str(TEMPLATES)] if override else [str(TEMPLATES)]
    return Environment(
        loader=FileSystemLoader(paths),
        autoescape=select_autoescape(["html"], default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render(name: str, context: dict[str, Any]) -> tuple[str, str]:
    """The text and HTML parts of template `name`."""
    env = templates()
    return (
        env.get_template(f"{name}.txt").render(context),
        env.get_template(f"{name}.html").render(context),
    )


def compose(
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    reply_to: str | None = None,
    references: Sequence[str] = (),
    unsubscribe_url: str | None = None,
    sender_name: str = "Support",
) -> Mail:
    """A multipart/alternative mail; In-Reply-To is the newest of `references`."""
    settings = mail_settings()
    msg = EmailMessage(policy=SMTP)
    msg["From"] = formataddr((sender_name, settings.sender_address))
    msg["To"] = to
    msg["Subject"] = subject
    if reply_to:
        msg["Reply-To"] = reply_to
    if references:
        msg["In-Reply-To"] = references[-1]
        msg["References"] = " ".join(references)
    if unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return Mail(msg, [to])


def header_id(ses_message_id: str) -> str:
    """The Message-ID header SES gives a mail it accepted with this id."""
    region = mail_settings().aws_region
    host = "email.amazonses.com" if region == "us-east-1" else f"{region}.amazonses.com"
    return f"<{ses_message_id}@{host}>"


def send(mail: Mail, *, remaining_ms: Callable[[], int] | None = None) -> str:
    """Send through SES (raw content, the configuration set): SES's MessageId.

    Throttling is retried up to MAX_ATTEMPTS times with full-jitter doubling pauses, never
    past the invocation's remaining time less a second; then SendThrottled."""
    from botocore.exceptions import ClientError

    settings = mail_settings()
    kwargs: dict[str, Any] = {
        "FromEmailAddress": settings.sender_address,
        "Destination": {"ToAddresses": mail.to},
        "Content": {"Raw": {"Data": mail.message.as_bytes()}},
    }
    if settings.mail_configuration_set:
        kwargs["ConfigurationSetName"] = settings.mail_configuration_set
    for attempt in range(MAX_ATTEMPTS):
        try:
            out = client().send_email(**kwargs)
            return str(out["MessageId"])
        except ClientError as ex:
            if error_code(ex) not in THROTTLED:
                raise
            pause = random.uniform(0, min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2**attempt))
            logger.info("SES throttled", extra={"attempt": attempt + 1, "pause": pause})
            out_of_time = remaining_ms is not None and remaining_ms() < pause * 1000 + 1000
            if attempt + 1 == MAX_ATTEMPTS or out_of_time:
                break
            time.sleep(pause)
    raise SendThrottled("SES kept throttling")


def unsuppress(address: str) -> bool:
    """Take `address` off SES's account-level suppression list (which the configuration
    set uses for bounces and complaints); False when SES did not have it."""
    from botocore.exceptions import ClientError

    try:
        client().delete_suppressed_destination(EmailAddress=address)
    except ClientError as ex:
        if error_code(ex) == "NotFoundException":
            return False
        raise
    return True
