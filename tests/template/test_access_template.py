"""Access settings in the template: authorizer grants, cache TTL and write limits."""

from __future__ import annotations

import pytest

from local.template import App
from local.template import app as load_app

WRITERS = {
    "CreateTicketFunction",
    "ReplyTicketFunction",
    "CreateAttachmentFunction",
    "AdminReplyTicketFunction",
    "AdminCreateTicketFunction",
}


@pytest.fixture(scope="module")
def tpl() -> App:
    return load_app()


def test_authorizer_reads_tokens_and_caches_at_most_five_minutes(tpl: App) -> None:
    from helpdesk.settings import AuthSettings

    fn = tpl.functions["AuthorizerFunction"]
    assert fn.actions == {"dynamodb:GetItem", "dynamodb:UpdateItem"}
    assert fn.environment["AUTH_CACHE_SECONDS"] == {"Ref": "AuthCacheSeconds"}
    param = tpl.doc["Parameters"]["AuthCacheSeconds"]
    assert int(param["MaxValue"]) <= 300
    assert int(param["Default"]) == AuthSettings(issuer="i", audience="a").auth_cache_seconds


def test_every_write_route_gets_the_write_limits(tpl: App) -> None:
    from helpdesk.settings import RateLimitSettings

    for name in WRITERS:
        env = tpl.functions[name].environment
        assert env["WRITE_LIMIT"] == {"Ref": "WriteLimit"}, name
        assert env["WRITE_WINDOW_SECONDS"] == {"Ref": "WriteWindowSeconds"}, name
    params = tpl.doc["Parameters"]
    defaults = RateLimitSettings()
    assert int(params["WriteLimit"]["Default"]) == defaults.write_limit
    assert int(params["WriteWindowSeconds"]["Default"]) == defaults.write_window_seconds


def test_stage_is_throttled(tpl: App) -> None:
    ((_, api),) = tpl.resources("AWS::Serverless::HttpApi").items()
    route = api["Properties"]["DefaultRouteSettings"]
    assert route["ThrottlingBurstLimit"] > 0 and route["ThrottlingRateLimit"] > 0


def test_the_public_form_gets_its_own_limits(tpl: App) -> None:
    from helpdesk.settings import PublicFormSettings

    env = tpl.functions["PublicCreateTicketFunction"].environment
    # Then the form's limits come from their parameters, and the per-caller write limit
    # (which guests do not count against) is not passed
    assert env == {
        "PUBLIC_FORM_IP_LIMIT": {"Ref": "PublicFormIpLimit"},
        "PUBLIC_FORM_EMAIL_LIMIT": {"Ref": "PublicFormEmailLimit"},
        "PUBLIC_FORM_WINDOW_SECONDS": {"Ref": "PublicFormWindowSeconds"},
    } | {k: v for k, v in env.items() if not k.startswith(("PUBLIC_FORM_", "WRITE_"))}
    params = tpl.doc["Parameters"]
    defaults = PublicFormSettings()
    assert int(params["PublicFormIpLimit"]["Default"]) == defaults.public_form_ip_limit
    assert int(params["PublicFormEmailLimit"]["Default"]) == defaults.public_form_email_limit
    assert int(params["PublicFormWindowSeconds"]["Default"]) == defaults.public_form_window_seconds
