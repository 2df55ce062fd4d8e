"""Splitting long `IN (...)` lists: SQLite allows at most 32,766 parameters per statement, and a
webinar can have 100,000 registrants."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
CHUNK = 5000


def chunks(values: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def values_for(queryset, field: str, values: Sequence, *fields: str) -> Iterator[tuple]:
    """`queryset.filter(<field>__in=values).values_list(*fields)`, chunk by chunk."""
    for batch in chunks(values):
        yield from queryset.filter(**{f"{field}__in": batch}).values_list(*fields)
