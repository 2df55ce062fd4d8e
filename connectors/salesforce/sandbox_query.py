"""SOQL in the Salesforce sandbox: resolving a parsed query against the org's schema, running it
over the records, and the `query` / `queryAll` routes with their `nextRecordsUrl` cursors.

Paging follows apis.md §4.3: at most 2,000 records per batch, `Sforce-Query-Options:
batchSize=200..2000` as a hint, `nextRecordsUrl` = `/services/data/vXX.X/query/{locator}-{offset}`
relative to the instance URL, until `done: true`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.salesforce import soql
from connectors.salesforce.sandbox_rest import rest_route
from connectors.salesforce.sandbox_schema import (
    ID_TYPES,
    SOQL_TYPE_NAMES,
    STRING_TYPES,
    FieldSpec,
    SObjectSpec,
    id_normalise,
    json_value,
)
from connectors.sandbox.core import SandboxError, SandboxRequest, SandboxResponse, json_response

if TYPE_CHECKING:
    from connectors.salesforce.sandbox_schema import OrgSchema
    from connectors.sandbox.oauth import Grant

DEFAULT_BATCH_SIZE = 2000
MIN_BATCH_SIZE = 200
CURSOR_IDLE_SECONDS = 15 * 60  # query locators die after 15 minutes unused [from memory]
# Fields of the polymorphic "Name" object behind WhoId/WhatId (SOQL reference, polymorphism).
_NAME_FIELDS = {
    "Id": "id",
    "Name": "string",
    "Email": "email",
    "FirstName": "string",
    "LastName": "string",
    "Type": "string",
}
_NO_SUCH_COLUMN = (
    "No such column '{name}' on entity '{entity}'. If you are attempting to use a custom field, "
    "be sure to append the '__c' after the custom field name. Please reference your WSDL or "
    "the describe call for the appropriate names."
)
_NO_RELATIONSHIP = (
    "Didn't understand relationship '{name}' in field path. If you are attempting to use a "
    "custom relationship, be sure to append the '__r' after the custom relationship name. "
    "Please reference your WSDL or the describe call for the appropriate names."
)


@dataclass(frozen=True)
class ResolvedField:
    """A field path checked against the schema: `Subject` or `Owner.Email`."""

    leaf: FieldSpec
    relation: FieldSpec | None = None  # the reference field (OwnerId) of a relationship path


@dataclass
class Cursor:
    rows: list[dict[str, Any]]
    batch_size: int
    endpoint: str  # "query" or "queryAll"
    used_at: float
    total_size: int = 0


@dataclass
class QueryPlan:
    """A parsed query bound to one org: validates fields and literal types, then runs."""

    query: soql.Query
    schema: OrgSchema
    sobject: SObjectSpec = field(init=False)

    def __post_init__(self) -> None:
        sobject = self.schema.sobject(self.query.sobject)
        if sobject is None:
            raise soql.SoqlError(
                "INVALID_TYPE",
                soql.error_at(
                    self.query.text,
                    self.query.sobject_pos,
                    f"sObject type '{self.query.sobject}' is not supported. If you are "
                    "attempting to use a custom object, be sure to append the '__c' after the "
                    "entity name. Please reference your WSDL or the describe call for the "
                    "appropriate names.",
                ),
            )
        self.sobject = sobject
        self.selected = [(ref, self.resolve(ref)) for ref in self.query.fields]
        seen: set[str] = set()
        for ref, _ in self.selected:
            if ref.path.lower() in seen:
                raise self._fail(
                    "MALFORMED_QUERY", ref.pos, f"duplicate field selected: {ref.path}"
                )
            seen.add(ref.path.lower())
        self.order = [(item, self.resolve(item.field)) for item in self.query.order_by]
        self.where = self._bind(self.query.where) if self.query.where is not None else None

    def _fail(self, code: str, pos: int, message: str) -> soql.SoqlError:
        return soql.SoqlError(code, soql.error_at(self.query.text, pos, message))

    def resolve(self, ref: soql.FieldRef) -> ResolvedField:
        parts = ref.path.split(".")
        if len(parts) == 1:
            leaf = self.sobject.field_named(parts[0])
            if leaf is None:
                message = _NO_SUCH_COLUMN.format(name=parts[0], entity=self.sobject.name)
                raise self._fail("INVALID_FIELD", ref.pos, message)
            return ResolvedField(leaf)
        relation = self.sobject.relationship(parts[0]) if len(parts) == 2 else None
        if relation is None:
            raise self._fail("INVALID_FIELD", ref.pos, _NO_RELATIONSHIP.format(name=parts[0]))
        if len(relation.reference_to) > 1:
            name = next((n for n in _NAME_FIELDS if n.lower() == parts[1].lower()), None)
            leaf = FieldSpec(name, _NAME_FIELDS[name]) if name else None
            entity = "Name"
        else:
            entity = relation.reference_to[0]
            target = self.schema.sobject(entity)
            leaf = target.field_named(parts[1]) if target else None
        if leaf is None:
            message = _NO_SUCH_COLUMN.format(name=parts[1], entity=entity)
            raise self._fail("INVALID_FIELD", ref.pos, message)
        return ResolvedField(leaf, relation)

    def _bind(self, node: soql.Comparison | soql.BoolOp) -> Any:
        if isinstance(node, soql.BoolOp):
            return soql.BoolOp(node.op, tuple(self._bind(part) for part in node.parts))
        resolved = self.resolve(node.field)
        values = tuple(self._literal_value(node, resolved, lit) for lit in node.values)
        if node.op == "like":
            if resolved.leaf.type not in STRING_TYPES | ID_TYPES or values[0] is None:
                raise self._fail("INVALID_FIELD", node.field.pos, "invalid operator on field")
            values = (soql.like_pattern(values[0]),)
        return (node.op, resolved, values)

    def _literal_value(self, node: soql.Comparison, resolved: ResolvedField, lit: soql.Literal):
        kind = resolved.leaf.type
        if lit.kind == "null":
            if node.op in ("=", "!=", "in", "notin"):
                return None
            raise self._fail("MALFORMED_QUERY", lit.pos, "unexpected token: 'null'")
        if kind in STRING_TYPES or kind in ID_TYPES:
            expected, ok = "string", lit.kind == "string"
        else:
            expected = SOQL_TYPE_NAMES.get(kind, kind)
            ok = {"boolean": "boolean", "date": "date", "datetime": "datetime"}.get(
                kind, "number"
            ) == lit.kind
        if not ok:
            quotes = "be enclosed" if expected == "string" else "not be enclosed"
            message = (
                f"value of filter criterion for field '{node.field.path}' must be of type "
                f"{expected} and should {quotes} in quotes"
            )
            raise self._fail("INVALID_FIELD", lit.pos, message)
        if kind in ID_TYPES:
            return id_normalise(lit.value)
        return lit.value

    # --- running ---------------------------------------------------------------------------------
    def run(self, store: RecordSource, *, include_deleted: bool) -> list[dict[str, Any]]:
        """Matching records (stored dicts), ordered, after OFFSET and LIMIT."""
        rows = [
            record
            for record in store.records_of(self.sobject.name)
            if (include_deleted or not record.get("IsDeleted"))
            and (self.where is None or self._matches(self.where, record, store))
        ]
        for item, resolved in reversed(self.order):
            rank = 0 if item.nulls_last == item.descending else 2

            def key(record, resolved=resolved, rank=rank):
                value = _comparable(self._value(resolved, record, store))
                return (rank, "") if value is None else (1, value)

            rows.sort(key=key, reverse=item.descending)
        end = None if self.query.limit is None else self.query.offset + self.query.limit
        return rows[self.query.offset : end]

    def serialise(self, record: dict, store: RecordSource, version: str) -> dict[str, Any]:
        """One `records[]` entry: attributes, then the selected fields in SELECT order."""
        out: dict[str, Any] = {"attributes": store.attributes(record, version)}
        for _, resolved in self.selected:
            if resolved.relation is None:
                out[resolved.leaf.name] = json_value(record.get(resolved.leaf.name))
                continue
            name = resolved.relation.relationship_name or ""
            target = store.record_get(record.get(resolved.relation.name))
            if target is None:
                out[name] = None
                continue
            nested = out.get(name) or {"attributes": store.attributes(target, version)}
            nested[resolved.leaf.name] = json_value(self._leaf(resolved.leaf, target))
            out[name] = nested
        return out

    def _matches(self, node: Any, record: dict, store: RecordSource) -> bool:
        if isinstance(node, soql.BoolOp):
            if node.op == "and":
                return all(self._matches(part, record, store) for part in node.parts)
            if node.op == "or":
                return any(self._matches(part, record, store) for part in node.parts)
            return not self._matches(node.parts[0], record, store)
        op, resolved, values = node
        value = self._value(resolved, record, store)
        if op == "like":
            return value is not None and bool(values[0].match(str(value)))
        if op in ("in", "notin"):
            hit = any(_equal(value, candidate) for candidate in values)
            return hit if op == "in" else not hit and value is not None
        if op == "=":
            return _equal(value, values[0])
        if op == "!=":
            return not _equal(value, values[0])
        if value is None or values[0] is None:
            return False
        left, right = _comparable(value), _comparable(values[0])
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]

    def _value(self, resolved: ResolvedField, record: dict, store: RecordSource) -> Any:
        if resolved.relation is None:
            return record.get(resolved.leaf.name)
        target = store.record_get(record.get(resolved.relation.name))
        return None if target is None else self._leaf(resolved.leaf, target)

    @staticmethod
    def _leaf(leaf: FieldSpec, target: dict) -> Any:
        return target["_type"] if leaf.name == "Type" else target.get(leaf.name)


class RecordSource:
    """What a query needs from the fake's store (implemented by SalesforceSandbox)."""

    def records_of(self, sobject: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def record_get(self, record_id: str | None) -> dict[str, Any] | None:
        raise NotImplementedError

    def attributes(self, record: dict, version: str) -> dict[str, str]:
        raise NotImplementedError


def _comparable(value: Any) -> Any:
    if isinstance(value, str):
        return value.casefold()  # SOQL compares text case-insensitively
    if isinstance(value, bool):
        return int(value)
    return value


def _equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    return _comparable(left) == _comparable(right)


class QueryRoutesMixin:
    """`GET query`, `queryAll` and their next-batch locators."""

    cursors: dict[str, Cursor]

    @rest_route("GET", "/query")
    def query_run(self, request: SandboxRequest, *, version: str, grant: Grant):
        return self._query(request, version, endpoint="query")

    @rest_route("GET", "/queryAll")
    def query_all_run(self, request: SandboxRequest, *, version: str, grant: Grant):
        return self._query(request, version, endpoint="queryAll")

    @rest_route("GET", "/query/{locator}")
    def query_more(self, request: SandboxRequest, *, version: str, grant: Grant, locator: str):
        return self._query_more(version, locator)

    @rest_route("GET", "/queryAll/{locator}")
    def query_all_more(self, request: SandboxRequest, *, version: str, grant: Grant, locator: str):
        return self._query_more(version, locator)

    def _query(self, request: SandboxRequest, version: str, *, endpoint: str) -> SandboxResponse:
        text = request.arg("q")
        try:
            plan = QueryPlan(soql.parse(text or ""), self.schema)
            rows = plan.run(self, include_deleted=endpoint == "queryAll")
        except soql.SoqlError as error:
            raise SandboxError(400, error.code, error.message) from None
        if plan.query.count_only:
            return json_response({"totalSize": len(rows), "done": True, "records": []})
        records = [plan.serialise(row, self, version) for row in rows]
        cursor = Cursor(records, _batch_size(request), endpoint, self.clock(), len(records))
        return self._batch(cursor, version, locator=None, offset=0)

    def _query_more(self, version: str, locator_offset: str) -> SandboxResponse:
        locator, _, offset = locator_offset.rpartition("-")
        cursor = self.cursors.get(locator)
        now = self.clock()
        if cursor is None or cursor.used_at + CURSOR_IDLE_SECONDS < now or not offset.isdigit():
            self.cursors.pop(locator, None)
            raise SandboxError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        cursor.used_at = now
        return self._batch(cursor, version, locator=locator, offset=int(offset))

    def _batch(self, cursor: Cursor, version: str, *, locator: str | None, offset: int):
        end = offset + cursor.batch_size
        body: dict[str, Any] = {"totalSize": cursor.total_size, "done": end >= len(cursor.rows)}
        if not body["done"]:
            if locator is None:
                locator = "01g" + secrets.token_hex(8)[:15]
                self.cursors[locator] = cursor
            body["nextRecordsUrl"] = f"/services/data/{version}/{cursor.endpoint}/{locator}-{end}"
        body["records"] = cursor.rows[offset:end]
        return json_response(body)


def _batch_size(request: SandboxRequest) -> int:
    """`Sforce-Query-Options: batchSize=N`, clamped to 200..2000 (a hint, per the docs)."""
    options = request.header("sforce-query-options") or ""
    match = re.search(r"batchSize\s*=\s*(\d+)", options, re.IGNORECASE)
    if not match:
        return DEFAULT_BATCH_SIZE
    return max(MIN_BATCH_SIZE, min(DEFAULT_BATCH_SIZE, int(match.group(1))))
