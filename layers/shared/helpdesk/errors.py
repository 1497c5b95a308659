"""Domain errors. Each carries a stable machine code and an HTTP status.

The HTTP edge (`helpdesk.http`) is the one place that turns them into
RFC 9457 problem documents; nothing else knows about HTTP statuses.
"""

from __future__ import annotations

from typing import Any, ClassVar


class HelpdeskError(Exception):
    """Base of every error a client may see. Subclasses set `code`, `status` and `title`."""

    code: ClassVar[str] = "INTERNAL_ERROR"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers or {}
        self.extra = extra or {}


# 400
class BadRequestError(HelpdeskError):
    code, status, title = "BAD_REQUEST", 400, "Bad request"


class MalformedJsonError(BadRequestError):
    code, title = "MALFORMED_JSON", "The request body is not valid JSON"


class InvalidCursorError(BadRequestError):
    code, title = "INVALID_CURSOR", "The cursor is not valid for this list"


# 401
class UnauthenticatedError(HelpdeskError):
    code, status, title = "UNAUTHENTICATED", 401, "Authentication required"

    def __init__(self, detail: str | None = None, *, code: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="helpdesk"'})
        if code:
            self.code = code  # type: ignore[misc]  # per-instance refinement (TOKEN_EXPIRED, ...)


# 403
class ForbiddenError(HelpdeskError):
    code, status, title = "FORBIDDEN", 403, "You may not do this"


class InsufficientScopeError(ForbiddenError):
    code, title = "INSUFFICIENT_SCOPE", "The API token's scopes do not allow this"


class TokenNotAllowedError(ForbiddenError):
    code, title = "SESSION_REQUIRED", "Sign in (not an API token) to manage API tokens"


# 404
class NotFoundError(HelpdeskError):
    code, status, title = "NOT_FOUND", 404, "Not found"


class RouteNotFoundError(NotFoundError):
    code, title = "ROUTE_NOT_FOUND", "No such route"


class TicketNotFoundError(NotFoundError):
    code, title = "TICKET_NOT_FOUND", "Ticket not found"


class MergeTargetNotFoundError(NotFoundError):
    code, title = "MERGE_TARGET_NOT_FOUND", "The target ticket does not exist"


class UnsubscribeLinkInvalidError(NotFoundError):
    code, title = "UNSUBSCRIBE_LINK_INVALID", "This unsubscribe link is not valid (or has expired)"


class SuppressionNotFoundError(NotFoundError):
    code, title = "SUPPRESSION_NOT_FOUND", "This address is not suppressed"


class RatingLinkInvalidError(NotFoundError):
    code, title = "RATING_LINK_INVALID", "This rating link is not valid (or has expired)"


class RequesterNotFoundError(NotFoundError):
    code, title = "REQUESTER_NOT_FOUND", "No requester with this id"


class CategoryNotFoundError(NotFoundError):
    code, title = "CATEGORY_NOT_FOUND", "Category not found"


class ApiTokenNotFoundError(NotFoundError):
    code, title = "TOKEN_NOT_FOUND", "API token not found"


class DepartmentNotFoundError(NotFoundError):
    code, title = "DEPARTMENT_NOT_FOUND", "Department not found"


# 409
class ConflictError(HelpdeskError):
    code, status, title = "CONFLICT", 409, "Conflict"


class InboundNotFoundError(NotFoundError):
    code, title = "INBOUND_NOT_FOUND", "Received message not found"


class TicketClosedError(ConflictError):
    code, title = "TICKET_CLOSED", "The ticket is closed"


class TicketLockedError(ConflictError):
    code, title = "TICKET_LOCKED", "The ticket was closed by staff and cannot be reopened"


class InvalidTransitionError(ConflictError):
    code, title = "INVALID_TRANSITION", "The ticket cannot move to that status"


class RatingNotAllowedError(ConflictError):
    code, title = "RATING_NOT_ALLOWED", "The ticket cannot be rated now"


class MergeNotAllowedError(ConflictError):
    code, title = "MERGE_NOT_ALLOWED", "These tickets cannot be merged"


class ConcurrentUpdateError(ConflictError):
    code, title = "CONCURRENT_UPDATE", "The ticket changed while we were updating it; retry"


class IdempotencyInProgressError(ConflictError):
    code, title = "IDEMPOTENCY_IN_PROGRESS", "A request with this Idempotency-Key is in progress"


# 412
class PreconditionFailedError(HelpdeskError):
    code, status, title = "PRECONDITION_FAILED", 412, "The resource changed (ETag mismatch)"


# 413
class PayloadTooLargeError(HelpdeskError):
    code, status, title = "PAYLOAD_TOO_LARGE", 413, "The request is too large"


# 415
class UnsupportedMediaTypeError(HelpdeskError):
    code, status, title = "UNSUPPORTED_MEDIA_TYPE", 415, "Send JSON: Content-Type: application/json"


# 422
class ValidationFailedError(HelpdeskError):
    code, status, title = "VALIDATION_FAILED", 422, "The request is not valid"


class ScheduleInvalidError(ValidationFailedError):
    code, title = "SCHEDULE_INVALID", "The business-hours schedule cannot be used"


class SlaPolicyInvalidError(ValidationFailedError):
    code, title = "SLA_POLICY_INVALID", "The SLA policy names an unknown schedule"


class SlaPolicyNotFoundError(NotFoundError):
    code, title = "SLA_POLICY_NOT_FOUND", "No SLA policy with this id"


class SlaPolicyLimitReachedError(ConflictError):
    code, title = "SLA_POLICY_LIMIT_REACHED", "There are as many SLA policies as allowed"


class IdempotencyKeyReusedError(ValidationFailedError):
    code, title = "IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used with another request"


class InvalidCategoryError(ValidationFailedError):
    code, title = "INVALID_CATEGORY", "Unknown or inactive category or sub-category"


class InvalidDepartmentError(ValidationFailedError):
    code, title = "INVALID_DEPARTMENT", "Unknown or inactive department"


class PriorityNotAllowedError(ValidationFailedError):
    code, title = "PRIORITY_NOT_ALLOWED", "This priority is reserved for staff"


class SpamSuspectedError(ValidationFailedError):
    code, title = "SPAM_SUSPECTED", "The form was filled in by a robot (honeypot field set)"


class ErasureNotConfirmedError(ValidationFailedError):
    code, title = "ERASURE_NOT_CONFIRMED", "Erasure cannot be undone: confirm with the user id"


# attachments (issue 6): 404/409/413/415/422/503
class AttachmentNotFoundError(NotFoundError):
    code, title = "ATTACHMENT_NOT_FOUND", "Attachment not found"


class AttachmentInUseError(ConflictError):
    code, title = "ATTACHMENT_IN_USE", "The attachment is linked to a message and cannot be deleted"


class AttachmentTooLargeError(PayloadTooLargeError):
    code, title = "ATTACHMENT_TOO_LARGE", "The file is larger than attachments may be"


class AttachmentTypeNotAllowedError(UnsupportedMediaTypeError):
    code, title = "ATTACHMENT_TYPE_NOT_ALLOWED", "Files of this type cannot be attached"


class AttachmentContentMismatchError(ValidationFailedError):
    code, title = (
        "ATTACHMENT_CONTENT_MISMATCH",
        "The uploaded file does not match its declared size or type",
    )


class AttachmentUnknownError(ValidationFailedError):
    code, title = "ATTACHMENT_UNKNOWN", "No such attachment (or its upload window has passed)"


class AttachmentNotUploadedError(ValidationFailedError):
    code, title = "ATTACHMENT_NOT_UPLOADED", "The attachment's file has not been uploaded yet"


class AttachmentNotOwnedError(ValidationFailedError):
    code, title = "ATTACHMENT_NOT_OWNED", "The attachment was uploaded by someone else"


class AttachmentAlreadyAttachedError(ValidationFailedError):
    code, title = "ATTACHMENT_ALREADY_ATTACHED", "The attachment is already linked to a message"


class AttachmentStorageError(HelpdeskError):
    code, status, title = "ATTACHMENT_STORAGE_UNAVAILABLE", 503, "File storage unavailable; retry"


class IssuerUnavailableError(HelpdeskError):
    """The authorizer could not fetch the token issuer's keys (JWKS): the token may be good."""

    code, status, title = "ISSUER_UNAVAILABLE", 503, "The sign-in issuer is unavailable; retry"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": "5"})


class StoreError(HelpdeskError):
    """DynamoDB refused or failed a call (`helpdesk.store` turns its ClientErrors into this)."""

    code, status, title = "STORE_UNAVAILABLE", 503, "The data store is unavailable; retry"


# 429
class RateLimitedError(HelpdeskError):
    code, status, title = "RATE_LIMITED", 429, "Too many requests"


class AssigneeUnknownError(ValidationFailedError):
    code, title = "ASSIGNEE_UNKNOWN", "The assignee is not a known agent"


class AgentUnknownError(ValidationFailedError):
    code, title = "AGENT_UNKNOWN", "A department's agent is not an active staff member"


class CategoryInUseError(ConflictError):
    code, title = "CATEGORY_IN_USE", "The category has tickets or sub-categories: deactivate it"


class DepartmentInUseError(ConflictError):
    code, title = "DEPARTMENT_IN_USE", "The department has tickets: deactivate it"


class TokenLimitReachedError(ConflictError):
    code, title = "TOKEN_LIMIT_REACHED", "You have the most API tokens allowed; revoke one first"


class TokenLifetimeTooLongError(ValidationFailedError):
    code, title = "TOKEN_LIFETIME_TOO_LONG", "An API token may live at most a year"


class StaffNotFoundError(NotFoundError):
    code, title = "STAFF_NOT_FOUND", "No staff member with this id in the staff directory"


class SelfDeactivationError(ConflictError):
    code, title = "SELF_DEACTIVATION", "You cannot deactivate yourself; ask another admin"


# webhooks (docs/api.md, "Webhooks")
class WebhookNotFoundError(NotFoundError):
    code, title = "WEBHOOK_NOT_FOUND", "No webhook subscription with this id"


class WebhookDeliveryNotFoundError(NotFoundError):
    code, title = "WEBHOOK_DELIVERY_NOT_FOUND", "No delivery with this id for this webhook"


class WebhookUrlNotAllowedError(ValidationFailedError):
    code, title = "WEBHOOK_URL_NOT_ALLOWED", "Webhook URLs must be https and reach a public address"


class WebhookEventUnknownError(ValidationFailedError):
    code, title = "WEBHOOK_EVENT_UNKNOWN", "Unknown event type (see the change feed's types, or *)"


class WebhookDisabledError(ConflictError):
    code, title = "WEBHOOK_DISABLED", "The webhook is disabled; enable it first"


class WebhookLimitReachedError(ConflictError):
    code, title = "WEBHOOK_LIMIT_REACHED", "There are as many webhooks as allowed; delete one first"


class ViewNotFoundError(NotFoundError):
    code, title = "VIEW_NOT_FOUND", "No view with this id (or it is another's personal view)"


class ViewFilterInvalidError(ValidationFailedError):
    code, title = "VIEW_FILTER_INVALID", "The view's filter cannot be used"


class ViewLimitReachedError(ConflictError):
    code, title = "VIEW_LIMIT_REACHED", "There are as many views as allowed; delete one first"


class ViewWithFiltersError(BadRequestError):
    code, title = "VIEW_WITH_FILTERS", "A view is listed alone: no other queue filter with view"
