"""The kinds of notification mail (what a person may turn off), by who receives them: a
module of its own so that the preference routes do not import the notifier."""

CUSTOMER_KINDS = ("ticket_created", "staff_reply", "ticket_resolved", "ticket_merged")
STAFF_KINDS = ("customer_message", "ticket_assigned", "sla_warning", "sla_breached")
KINDS = CUSTOMER_KINDS + STAFF_KINDS

# what each kind is, in words (the console's Settings page)
LABELS = {
    "ticket_created": "The acknowledgement of a ticket I open",
    "staff_reply": "Answers from support on my tickets",
    "ticket_resolved": "My ticket is resolved or closed (with a link to rate the answer)",
    "ticket_merged": "My ticket is merged into another",
    "customer_message": "A customer's message on a ticket assigned to me",
    "ticket_assigned": "A ticket is assigned to me",
    "sla_warning": "A ticket of mine (or my department's) is about to miss its service level",
    "sla_breached": "A ticket of mine (or my department's) missed its service level",
}
