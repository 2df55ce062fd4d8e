"""HubSpot sandbox: the CRM search request (`POST /crm/v3/objects/{type}/search`) as pure functions.

Semantics follow apis.md §2.3/§2.4 and the search guide: filter groups are OR-ed, filters inside a
group AND-ed; at most 5 groups, 10 filters per group, 25 in total (changelog 2024-08-26); `limit`
at most 200; only one sort; `after` is an offset and paging past the result cap (10,000) is a 400.
String comparisons are case-insensitive; date properties compare as ms epoch (ISO accepted).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from typing import Any

from connectors.hubspot.sandbox_schema import timestamp_ms
from connectors.sandbox.core import SandboxError

OPERATORS = {
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
}
SEARCH_FIELDS = {"filterGroups", "sorts", "query", "properties", "limit", "after"}
FILTER_FIELDS = {"propertyName", "operator", "value", "highValue", "values"}
MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 10, 25
MAX_LIMIT = 200

# Values of one record: property name -> stored string ("" or missing = no value).
Lookup = Callable[[str], str | None]


def _fail(message: str) -> SandboxError:
    return SandboxError(400, "VALIDATION_ERROR", message)


def search_request_parse(body: Any, schema: dict[str, dict]) -> dict[str, Any]:
    """Validate a search body.

    Returns {groups, sort, descending, query, properties, limit, after}; raises a 400 otherwise.
    """
    if not isinstance(body, dict):
        raise _fail("Request body must be a JSON object")
    unknown = set(body) - SEARCH_FIELDS
    if unknown:
        raise _fail(f"Unrecognized field(s) in search request: {sorted(unknown)}")
    groups = body.get("filterGroups") or []
    if not isinstance(groups, list) or len(groups) > MAX_GROUPS:
        raise _fail(f"Too many filter groups: {len(groups)}. The maximum is {MAX_GROUPS}.")
    total = 0
    for group in groups:
        filters = group.get("filters") if isinstance(group, dict) else None
        if not isinstance(filters, list):
            raise _fail("Each filter group needs a filters list")
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise _fail(f"Too many filters in a group: {len(filters)}. The maximum is 10.")
        total += len(filters)
        for item in filters:
            _filter_check(item, schema)
    if total > MAX_FILTERS:
        raise _fail(f"Too many filters: {total}. The maximum is {MAX_FILTERS}.")
    sort, descending = _sort_parse(body.get("sorts") or [], schema)
    limit = body.get("limit", 10)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= MAX_LIMIT:
        raise _fail(f"limit must be an integer between 1 and {MAX_LIMIT}, got {limit!r}")
    after = body.get("after") or "0"
    if not str(after).isdigit():
        raise _fail(f"after must be a numeric paging cursor, got {after!r}")
    return {
        "groups": groups,
        "sort": sort,
        "descending": descending,
        "query": str(body.get("query") or ""),
        "properties": body.get("properties"),
        "limit": limit,
        "after": int(after),
    }


def _filter_check(item: Any, schema: dict[str, dict]) -> None:
    if not isinstance(item, dict):
        raise _fail("A filter must be an object")
    unknown = set(item) - FILTER_FIELDS
    if unknown:
        raise _fail(f"Unrecognized field(s) in filter: {sorted(unknown)}")
    name, operator = item.get("propertyName"), item.get("operator")
    if operator not in OPERATORS:
        raise _fail(f"Invalid operator {operator!r}; use one of {sorted(OPERATORS)}")
    if name not in schema:
        raise _fail(f"Property {name!r} does not exist on this object type")
    if operator in ("IN", "NOT_IN"):
        if not isinstance(item.get("values"), list) or not item["values"]:
            raise _fail(f"Operator {operator} requires a non-empty 'values' list")
    elif operator in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        # The search API rejects a value here (appsmithorg/appsmith#39865).
        if "value" in item:
            raise _fail(f"Operator {operator} does not take a value")
    elif "value" not in item:
        raise _fail(f"Operator {operator} requires a 'value'")
    if operator == "BETWEEN" and "highValue" not in item:
        raise _fail("Operator BETWEEN requires 'value' and 'highValue'")


def _sort_parse(sorts: Any, schema: dict[str, dict]) -> tuple[str | None, bool]:
    if not isinstance(sorts, list):
        raise _fail("sorts must be a list")
    if len(sorts) > 1:
        raise _fail("Only one sort is supported")
    if not sorts:
        return None, False
    entry = sorts[0]
    if isinstance(entry, str):  # "-name" means descending in the string form
        name, descending = entry.lstrip("-"), entry.startswith("-")
    elif isinstance(entry, dict):
        name = entry.get("propertyName")
        direction = entry.get("direction", "ASCENDING")
        if direction not in ("ASCENDING", "DESCENDING"):
            raise _fail(f"Invalid sort direction {direction!r}")
        descending = direction == "DESCENDING"
    else:
        raise _fail("A sort must be a property name or {propertyName, direction}")
    if name not in schema:
        raise _fail(f"Cannot sort on unknown property {name!r}")
    return name, descending


def comparable(definition: dict | None, value: Any) -> Any:
    """A value in the property's comparison space: ms for dates, float for numbers, casefold."""
    if value is None:
        return None
    kind = (definition or {}).get("type")
    if kind in ("datetime", "date"):
        return timestamp_ms(value)
    if kind == "number":
        try:
            return float(str(value))
        except ValueError:
            return None
    return str(value).casefold()


def _tokens(value: str) -> set[str]:
    # Multi-value properties (hs_additional_emails) are ';'-separated; text splits on whitespace.
    return {token.casefold() for token in re.split(r"[;\s]+", value) if token}


def filter_matches(item: dict, lookup: Lookup, schema: dict[str, dict]) -> bool:
    name, operator = item["propertyName"], item["operator"]
    raw = lookup(name)
    has_value = raw not in (None, "")
    if operator == "HAS_PROPERTY":
        return has_value
    if operator == "NOT_HAS_PROPERTY":
        return not has_value
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern = str(item["value"]).casefold()
        found = has_value and any(fnmatch.fnmatchcase(t, pattern) for t in _tokens(raw or ""))
        return found if operator == "CONTAINS_TOKEN" else not found
    definition = schema.get(name)
    current = comparable(definition, raw) if has_value else None
    if operator in ("IN", "NOT_IN"):
        wanted = {comparable(definition, v) for v in item["values"]}
        inside = current is not None and current in wanted
        return inside if operator == "IN" else not inside
    target = comparable(definition, item["value"])
    if operator == "NEQ":
        return current != target
    if current is None or target is None:
        return False
    try:
        if operator == "EQ":
            return current == target
        if operator == "LT":
            return current < target
        if operator == "LTE":
            return current <= target
        if operator == "GT":
            return current > target
        if operator == "GTE":
            return current >= target
        high = comparable(definition, item["highValue"])
        return high is not None and target <= current <= high  # BETWEEN
    except TypeError:  # comparing text with a number: no match, as in HubSpot
        return False


def record_matches(groups: list[dict], lookup: Lookup, schema: dict[str, dict]) -> bool:
    if not groups:
        return True
    return any(all(filter_matches(f, lookup, schema) for f in g["filters"]) for g in groups)


def query_matches(query: str, values: Iterable[str | None]) -> bool:
    """The free-text `query`: every word appears as a prefix of some default searchable value."""
    words = query.casefold().split()
    texts = [v.casefold() for v in values if v]
    return all(any(word in text for text in texts) for word in words)
