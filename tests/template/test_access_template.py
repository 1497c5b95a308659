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
}


@pytest.fixture(scope="module")
def tpl() -> App:
    return load_app()


def test_authorizer_reads_tokens_and_caches_at_most_five_minutes(tpl: App) -> None:
    from helpdesk.settings import AuthSettings

    fn = tpl.functions["AuthorizerFunction"]
    actions = {a for p in fn.properties["Policies"] for s in p["Statement"] for a in s["Action"]}
    assert actions == {"dynamodb:GetItem", "dynamodb:UpdateItem"}
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
