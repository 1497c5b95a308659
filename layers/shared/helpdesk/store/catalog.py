"""The catalog: categories (CATALOG / CAT#<id>) and departments (CATALOG / DEP#<id>)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from helpdesk.domain import Category, Department
from helpdesk.errors import StoreError
from helpdesk.store import codec, keys


def list_catalog() -> tuple[list[Category], list[Department]]:
    """Categories (with sub-categories) and departments: one Query."""
    items = codec.query_all(
        KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": keys.CATALOG}}
    )
    cats, deps = [], []
    for stored in items:
        data = codec.plain(stored)
        if keys.is_category(data["SK"]):
            cats.append(Category.model_validate(data))
        elif keys.is_department(data["SK"]):
            deps.append(Department.model_validate(data))
    return cats, deps


def get_category(category_id: str) -> Category | None:
    found = codec.get(keys.category(category_id).av())
    return Category.model_validate(codec.plain(found)) if found else None


def get_department(department_id: str) -> Department | None:
    found = codec.get(keys.department(department_id).av())
    return Department.model_validate(codec.plain(found)) if found else None


def _put(entry: keys.Key, data: dict[str, object]) -> None:
    try:
        codec.client().put_item(**codec.put({**entry.fields(), **data})["Put"])
    except ClientError as ex:
        raise StoreError() from ex


def put_category(cat: Category) -> None:
    _put(keys.category(cat.id), cat.model_dump(mode="json"))


def put_department(dep: Department) -> None:
    _put(keys.department(dep.id), dep.model_dump(mode="json"))


def _delete(entry: keys.Key) -> None:
    try:
        codec.client().delete_item(TableName=codec.table(), Key=entry.av())
    except ClientError as ex:
        raise StoreError() from ex


def delete_category(category_id: str) -> None:
    _delete(keys.category(category_id))


def delete_department(department_id: str) -> None:
    _delete(keys.department(department_id))
