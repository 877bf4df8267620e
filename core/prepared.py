"""Querysets compiled to SQL once per process, then run again with new values.

Building a queryset and compiling it to SQL is pure Python, and for the list endpoints' fixed-shape queries (a
page's rows by id, a user's private projects, the signed-in user of a token) it costs several times what the
database takes to answer them. `prepared_rows(name, build, ...)` builds the queryset once with stand-in values,
keeps its SQL and converters, and afterwards only swaps the real values into the parameters: the same SQL, run
through the same connection (and its execute wrappers), converted as the queryset would convert it.

Values are integers, UUIDs or lists of integers. A list is padded to a power of two by repeating its last
element (`IN (1, 2, 2, 2)` selects what `IN (1, 2)` does), so each query compiles at most a handful of times.
When the stand-ins cannot all be found among the compiled parameters (a value inlined into the SQL, a list
that compiled away), the query is not kept and each call simply evaluates the queryset.
"""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import FlatValuesListIterable, ModelIterable, ValuesIterable, ValuesListIterable

Value = int | uuid.UUID | list[int]
_STAND_IN_BASE = -7_301_000_000  # far below any primary key or count the product stores


@dataclass(frozen=True)
class _Slot:
    position: int  # in the parameters
    name: str
    index: int | None  # within a list value
    as_text: bool  # a UUID the backend passes as its hex text (SQLite)


@dataclass
class _Compiled:
    sql: str
    params: list[Any]
    slots: list[_Slot]
    compiler: Any
    shape: str  # "model", "values", "values_list" or "flat"
    names: list[str]
    init: tuple[int, int, list[str]] | None  # model rows: (start, end, attnames)


_compiled: dict[tuple, _Compiled] = {}
_uncompilable: set[tuple] = set()
_models: dict[str, type[Model]] = {}


def _bucket(size: int) -> int:
    bucket = 1
    while bucket < size:
        bucket *= 2
    return bucket


def _stand_ins(values: dict[str, Value]) -> tuple[dict[str, Value], dict[Any, tuple[str, int | None, bool]]]:
    """Stand-in values of the same types, each distinct, and where each one belongs."""
    stand_ins: dict[str, Value] = {}
    where: dict[Any, tuple[str, int | None, bool]] = {}
    counter = _STAND_IN_BASE
    for name, value in values.items():
        if isinstance(value, list):
            items = []
            for index in range(_bucket(len(value))):
                counter -= 1
                items.append(counter)
                where[counter] = (name, index, False)
            stand_ins[name] = items
        elif isinstance(value, uuid.UUID):
            stand_in = uuid.uuid4()
            stand_ins[name] = stand_in
            where[stand_in] = (name, None, False)
            where[stand_in.hex] = (name, None, True)
        else:
            counter -= 1
            stand_ins[name] = counter
            where[counter] = (name, None, False)
    return stand_ins, where


def _shape(queryset: QuerySet) -> str | None:
    iterable = queryset._iterable_class
    if iterable is ModelIterable and not queryset.query.select_related and not queryset._prefetch_related_lookups:  # type: ignore[attr-defined]  # private to QuerySet, not in the stubs
        return "model"
    return {ValuesIterable: "values", ValuesListIterable: "values_list", FlatValuesListIterable: "flat"}.get(
        iterable)


def _compile(build: Callable[..., QuerySet], values: dict[str, Value]) -> _Compiled | None:
    stand_ins, where = _stand_ins(values)
    queryset = build(**stand_ins)
    shape = _shape(queryset)
    if shape is None:
        return None
    query = queryset.query
    compiler = query.get_compiler(queryset.db)
    try:
        sql, params = compiler.as_sql()
    except (EmptyResultSet, FullResultSet):  # nothing to keep: the queryset answers by itself
        return None
    slots, found = [], set()
    for position, param in enumerate(params):
        if isinstance(param, int | str | uuid.UUID) and not isinstance(param, bool) and param in where:
            name, index, as_text = where[param]
            slots.append(_Slot(position, name, index, as_text))
            found.add(param if not as_text else uuid.UUID(str(param)))
    wanted = {key for key, (_, _, as_text) in where.items() if not as_text}
    if found != wanted or any(str(key) in sql for key in where):
        return None
    names: list[str] = []
    if shape == "values":
        names = list(query.selected) if query.selected else [*query.extra_select, *query.values_select,
                                                             *query.annotation_select]
    init = None
    if shape == "model":
        if compiler.annotation_col_map or queryset._known_related_objects:  # type: ignore[attr-defined]  # private to QuerySet
            return None
        start, end = compiler.klass_info["select_fields"][0], compiler.klass_info["select_fields"][-1] + 1
        init = (start, end, [column[0].target.attname for column in compiler.select[start:end]])
    return _Compiled(sql, list(params), slots, compiler, shape, names, init)


def prepared_rows(name: str, build: Callable[..., QuerySet], **values: Value) -> list[Any]:
    """What `list(build(**values))` gives (model instances, `values()` dictionaries, `values_list()` tuples
    or flat values), with the SQL compiled once per shape. `build` must use its arguments only as filter
    values, and give a queryset of the same shape for every value."""
    if any(isinstance(value, list) and not value for value in values.values()):
        return list(build(**values))
    shape = (name, *((key, _bucket(len(value))) for key, value in values.items() if isinstance(value, list)))
    if shape in _uncompilable:
        return list(build(**values))
    # The database a read goes to is the router's choice at each call (the analytics replica only inside
    # `analytics_reads()`), so SQL is kept per database and the database is asked for on every call.
    model = _models.get(name)
    compiled = _compiled.get((*shape, router.db_for_read(model) or DEFAULT_DB_ALIAS)) if model else None
    if compiled is None:
        compiled = _compile(build, values)
        if compiled is None:
            _uncompilable.add(shape)
            return list(build(**values))
        _models[name] = compiled.compiler.query.model
        _compiled[(*shape, compiled.compiler.using)] = compiled
    params = list(compiled.params)
    for slot in compiled.slots:
        value: Any = values[slot.name]
        if slot.index is not None:
            value = value[min(slot.index, len(value) - 1)]
        params[slot.position] = value.hex if slot.as_text else value
    compiler = compiled.compiler
    connection = connections[compiler.using]
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        raw = cursor.fetchall()
    rows = compiler.results_iter([raw], tuple_expected=compiled.shape == "values_list")
    if compiled.shape == "values":
        names = compiled.names
        return [dict(zip(names, row, strict=False)) for row in rows]
    if compiled.shape == "flat":
        return [row[0] for row in rows]
    if compiled.shape == "model":
        assert compiled.init is not None
        start, end, attnames = compiled.init
        model = compiler.klass_info["model"]
        return [model.from_db(compiler.using, attnames, row[start:end]) for row in rows]
    return list(rows)


def forget() -> None:
    """Drops every compiled query (tests that change the database's schema or connection settings)."""
    _compiled.clear()
    _uncompilable.clear()
    _models.clear()


__all__: Sequence[str] = ["forget", "prepared_rows"]
