"""Who wants which mail: `GET/PUT /me/notifications` and the one-click unsubscribe link
(RFC 8058) every mail carries (docs/design.md, "Mail"). Preferences are kept per e-mail
address (`store.mail`), so that guests and cc addresses, who have no account, can
unsubscribe too; the notifier reads them with the suppressions before sending."""

from __future__ import annotations

from helpdesk import signing
from helpdesk.clock import iso, now
from helpdesk.errors import UnsubscribeLinkInvalidError
from helpdesk.models.notifications import (
    NotificationPreferences,
    Unsubscribed,
    UpdateNotificationPreferences,
)
from helpdesk.notify_kinds import KINDS
from helpdesk.principal import Principal
from helpdesk.settings import mail_settings
from helpdesk.store import mail as store_mail


def _view(email: str, off: frozenset[str]) -> NotificationPreferences:
    return NotificationPreferences.model_validate(
        {"email": email, "kinds": {k: k not in off for k in KINDS}}
    )


def get(p: Principal) -> NotificationPreferences:
    return _view(p.email.lower(), store_mail.get_preferences(p.email))


def update(p: Principal, req: UpdateNotificationPreferences) -> NotificationPreferences:
    off = set(store_mail.get_preferences(p.email))
    for kind, wanted in req.kinds.items():
        (off.discard if wanted else off.add)(kind)
    store_mail.put_preferences(p.email, off, iso(now()))
    return _view(p.email.lower(), frozenset(off))


def unsubscribe(token: str) -> Unsubscribed:
    """Turn off the kind of mail a signed link names, for its address (idempotent)."""
    max_age = mail_settings().unsubscribe_max_age_days * 86400
    found = signing.loads(signing.UNSUBSCRIBE, token, max_age)
    value = found[0] if found else None
    if not isinstance(value, dict) or value.get("k") not in KINDS or not value.get("e"):
        raise UnsubscribeLinkInvalidError()
    email, kind = str(value["e"]), str(value["k"])
    off = set(store_mail.get_preferences(email)) | {kind}
    store_mail.put_preferences(email, off, iso(now()))
    return Unsubscribed.model_validate({"email": email, "kind": kind})
