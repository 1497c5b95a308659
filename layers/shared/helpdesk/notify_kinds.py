"""The kinds of notification mail (what a person may turn off), by who receives them: a
module of its own so that the preference routes do not import the notifier."""

CUSTOMER_KINDS = ("ticket_created", "staff_reply", "ticket_resolved", "ticket_merged")
STAFF_KINDS = ("customer_message", "ticket_assigned")
KINDS = CUSTOMER_KINDS + STAFF_KINDS
