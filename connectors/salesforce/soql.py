"""A small SOQL interpreter for the Salesforce sandbox: the subset Meetbridge's queries use.

Supported: `SELECT f1, f2, Rel.f3 | COUNT() FROM Object [WHERE cond] [ORDER BY f [ASC|DESC]
[NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]`; conditions with = != <> < <= > >= LIKE, [NOT] IN
(...), AND / OR / NOT and parentheses; literals: 'strings' with backslash escapes, numbers,
true/false, null, unquoted ISO dates (2026-01-01) and datetimes (2026-01-01T00:00:00Z).

`parse` checks syntax only (errors → MALFORMED_QUERY); `QueryPlan` then resolves field names
against a schema (unknown field → INVALID_FIELD, unknown object → INVALID_TYPE) and runs the
query over records. Messages imitate Salesforce's "ERROR at Row:1:Column:N" style
(developer.salesforce.com, SOQL and SOSL Reference; exact wording from memory, [UNVERIFIED]).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

KEYWORDS = {
    "select",
    "from",
    "where",
    "and",
    "or",
    "not",
    "in",
    "like",
    "order",
    "by",
    "asc",
    "desc",
    "nulls",
    "first",
    "last",
    "limit",
    "offset",
    "null",
    "true",
    "false",
    "count",
}
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\d:T]))
  | (?P<number>-?\d+(?:\.\d+)?(?![\w-]))
  | (?P<string>'(?:\\.|[^'\\])*')
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


class SoqlError(Exception):
    """A query Salesforce would reject: `code` is the errorCode (MALFORMED_QUERY, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Token:
    kind: str  # name, string, number, date, datetime, op, punct, end
    text: str
    pos: int

    def keyword(self, *words: str) -> bool:
        return self.kind == "name" and self.text.lower() in words


@dataclass(frozen=True)
class Literal:
    kind: str  # string, number, date, datetime, boolean, null
    value: Any
    pos: int


@dataclass(frozen=True)
class FieldRef:
    path: str  # as written, e.g. "Owner.Email"
    pos: int


@dataclass(frozen=True)
class Comparison:
    field: FieldRef
    op: str  # = != < <= > >= like in notin
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class BoolOp:
    op: str  # and, or, not
    parts: tuple[Any, ...]


@dataclass(frozen=True)
class OrderItem:
    field: FieldRef
    descending: bool
    nulls_last: bool


@dataclass
class Query:
    text: str
    sobject: str
    sobject_pos: int
    fields: list[FieldRef] = field(default_factory=list)
    count_only: bool = False
    where: Comparison | BoolOp | None = None
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0


def error_at(text: str, pos: int, message: str) -> str:
    """Salesforce's positioned error text: the query, a caret, the row/column and the reason."""
    return f"\n{text}\n{' ' * pos}^\nERROR at Row:1:Column:{pos + 1}\n{message}"


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise SoqlError(
                "MALFORMED_QUERY", error_at(text, pos, f"unexpected token: '{text[pos]}'")
            )
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def _unescape(raw: str, text: str, pos: int) -> str:
    out: list[str] = []
    index = 1
    while index < len(raw) - 1:
        char = raw[index]
        if char == "\\":
            nxt = raw[index + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
            elif nxt in "%_":  # kept escaped: only LIKE gives them meaning
                out.append("\\" + nxt)
            else:
                raise SoqlError(
                    "MALFORMED_QUERY", error_at(text, pos + index, "Invalid string literal")
                )
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, token: Token | None = None) -> SoqlError:
        token = token or self.current
        what = token.text or "<EOF>"
        return SoqlError(
            "MALFORMED_QUERY", error_at(self.text, token.pos, f"unexpected token: '{what}'")
        )

    def expect_keyword(self, *words: str) -> Token:
        if not self.current.keyword(*words):
            raise self.fail()
        return self.advance()

    def expect(self, kind: str, text: str | None = None) -> Token:
        token = self.current
        if token.kind != kind or (text is not None and token.text != text):
            raise self.fail()
        return self.advance()

    def field_ref(self) -> FieldRef:
        token = self.current
        if token.kind != "name" or token.text.lower() in KEYWORDS:
            raise self.fail()
        self.advance()
        return FieldRef(token.text, token.pos)

    def parse(self) -> Query:
        self.expect_keyword("select")
        fields: list[FieldRef] = []
        count_only = False
        if self.current.keyword("count") and self.tokens[self.index + 1].text == "(":
            self.advance()
            self.expect("punct", "(")
            self.expect("punct", ")")
            count_only = True
        else:
            fields.append(self.field_ref())
            while self.current.text == ",":
                self.advance()
                fields.append(self.field_ref())
        self.expect_keyword("from")
        sobject = self.current
        if sobject.kind != "name" or "." in sobject.text or sobject.text.lower() in KEYWORDS:
            raise self.fail()
        self.advance()
        query = Query(self.text, sobject.text, sobject.pos, fields, count_only)
        if self.current.keyword("where"):
            self.advance()
            query.where = self.condition()
        if self.current.keyword("order"):
            self.advance()
            self.expect_keyword("by")
            query.order_by.append(self.order_item())
            while self.current.text == ",":
                self.advance()
                query.order_by.append(self.order_item())
        if self.current.keyword("limit"):
            self.advance()
            query.limit = self.integer()
        if self.current.keyword("offset"):
            self.advance()
            query.offset = self.integer()
        if self.current.kind != "end":
            raise self.fail()
        return query

    def integer(self) -> int:
        token = self.expect("number")
        if not token.text.isdigit():
            raise self.fail(token)
        return int(token.text)

    def order_item(self) -> OrderItem:
        ref = self.field_ref()
        descending = False
        if self.current.keyword("asc", "desc"):
            descending = self.advance().text.lower() == "desc"
        nulls_last = descending  # SOQL default: NULLS FIRST ascending, NULLS LAST descending
        if self.current.keyword("nulls"):
            self.advance()
            nulls_last = self.expect_keyword("first", "last").text.lower() == "last"
        return OrderItem(ref, descending, nulls_last)

    def condition(self) -> Comparison | BoolOp:
        # SOQL refuses AND and OR mixed at one level without parentheses.
        parts = [self.unary()]
        joiner: str | None = None
        while self.current.keyword("and", "or"):
            word = self.current.text.lower()
            if joiner is not None and word != joiner:
                raise self.fail()
            joiner = word
            self.advance()
            parts.append(self.unary())
        return parts[0] if joiner is None else BoolOp(joiner, tuple(parts))

    def unary(self) -> Comparison | BoolOp:
        if self.current.keyword("not"):
            self.advance()
            return BoolOp("not", (self.unary(),))
        if self.current.text == "(":
            self.advance()
            inner = self.condition()
            self.expect("punct", ")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        ref = self.field_ref()
        token = self.current
        if token.kind == "op":
            self.advance()
            op = "!=" if token.text == "<>" else token.text
            return Comparison(ref, op, (self.literal(),))
        if token.keyword("like"):
            self.advance()
            return Comparison(ref, "like", (self.literal(),))
        negated = False
        if token.keyword("not"):
            self.advance()
            negated = True
        if self.current.keyword("in"):
            self.advance()
            self.expect("punct", "(")
            values = [self.literal()]
            while self.current.text == ",":
                self.advance()
                values.append(self.literal())
            self.expect("punct", ")")
            return Comparison(ref, "notin" if negated else "in", tuple(values))
        raise self.fail()

    def literal(self) -> Literal:
        token = self.advance()
        if token.kind == "string":
            return Literal("string", _unescape(token.text, self.text, token.pos), token.pos)
        if token.kind == "number":
            return Literal("number", float(token.text), token.pos)
        if token.kind == "date":
            try:
                return Literal("date", dt.date.fromisoformat(token.text), token.pos)
            except ValueError:
                raise self.fail(token) from None
        if token.kind == "datetime":
            try:
                value = dt.datetime.fromisoformat(token.text.replace("Z", "+00:00"))
            except ValueError:
                raise self.fail(token) from None
            return Literal("datetime", value.astimezone(dt.UTC), token.pos)
        if token.keyword("true", "false"):
            return Literal("boolean", token.text.lower() == "true", token.pos)
        if token.keyword("null"):
            return Literal("null", None, token.pos)
        raise self.fail(token)


def parse(text: str) -> Query:
    """The syntax tree of `text`; raises SoqlError(MALFORMED_QUERY) on a syntax error."""
    if not text or not text.strip():
        raise SoqlError("MALFORMED_QUERY", "A query is required")
    return _Parser(text).parse()


def like_pattern(pattern: str) -> re.Pattern:
    """SOQL LIKE: % any run, _ one character, \\% and \\_ literal; case-insensitive."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern) and pattern[index + 1] in "%_":
            out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return re.compile("^" + "".join(out) + "$", re.IGNORECASE | re.DOTALL)
