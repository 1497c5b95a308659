"""Demo data for the local runner: a few categories and departments."""

from __future__ import annotations

from helpdesk.domain import Category, Department
from helpdesk.store import catalog as store_catalog

CATEGORIES = [
    Category(id="cat_billing", name="Billing", position=1),
    Category(id="cat_billing_invoices", name="Invoices", position=1, parent_id="cat_billing"),
    Category(id="cat_billing_refunds", name="Refunds", position=2, parent_id="cat_billing"),
    Category(id="cat_technical", name="Technical", position=2),
    Category(
        id="cat_technical_login", name="Login problems", position=1, parent_id="cat_technical"
    ),
    Category(id="cat_general", name="General", position=3),
]
DEPARTMENTS = [
    Department(id="dep_support", name="Support", position=1),
    Department(id="dep_sales", name="Sales", position=2),
]


def seed_catalog() -> None:
    for cat in CATEGORIES:
        store_catalog.put_category(cat)
    for dep in DEPARTMENTS:
        store_catalog.put_department(dep)
