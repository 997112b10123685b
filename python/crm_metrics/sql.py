"""SQL quoting, defined once: every statement the package builds quotes names and values here."""

from __future__ import annotations


def quote_identifier(name: str) -> str:
    """A quoted identifier: double quotes doubled (export column names may hold spaces, dots or
    quotes)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: object) -> str:
    """A SQL string literal: single quotes doubled, so no path or value can break the SQL."""
    return "'" + str(value).replace("'", "''") + "'"
