"""The in-process document engine: mongomock, with lookups that use indexes as MongoDB's do.

mongomock answers every query by testing every document of the collection, even a lookup by `_id`, and
checks a unique index the same way on every write: with 20,000 stored reports each report costs many
times what it cost with 1,000. This module gives mongomock's own query path (`Collection._iter_documents`,
which every find, count, update, delete and unique check goes through) what MongoDB's indexes give: the
document of an `_id`, and the documents whose field holds a value (or one of `$in` values), for every field
of every index a repository declares; where a query names several, only the documents every one of them
offers are tested, so a compound index's query reads what it matches, not what its first field matches.
A compound index's first fields are also held sorted, as MongoDB's B-tree holds them (per equal values of
the fields before, the documents in BSON order of the next, kept by bisection): an equality prefix followed
by a range (`$gt`, `$gte`, `$lt`, `$lte`) on the next field is narrowed to the documents in range, and a sort
on that field (a page: `{"year": 1, "company": {"$gt": last}}`, sorted by company, limit 25) is read in the
index's order, so a limited query tests only what it returns. That order is taken only where every document
of the prefix holds one plain kind there (text, numbers, ObjectId, a datetime), whose order mongomock's sort
gives too, ties in natural order as its stable sort leaves them; elsewhere the index narrows and mongomock
sorts. The answer is still mongomock's (`filter_applies` tests every candidate); an index only narrows which
documents are tested, so it may offer too many but never too few.

It also spares the copying that MongoDB does in its own process as BSON: a cursor with a limit (every
`find_one`) copies only the documents it returns, not every match of its query, as mongomock does before
it applies the limit; and the walks that copy a document and convert its datetimes take a short path for
plain dicts, lists and scalars (the documents repositories store), leaving anything else to mongomock's
own code. Repositories make the same pymongo calls on both engines: nothing outside this module knows.

Last, the documents it holds live in the service's own heap, where MongoDB's live in its server: every
250 documents stored, the engine moves what the heap holds out of the cyclic collector's sight
(`gc.freeze`), so that a full collection does not walk every stored document again (with 20,000 reports
that took 0.1-0.7 s per collection, a pause in whatever the service was doing). What a freeze also set
aside (garbage in reference cycles, or cycles alive then that die later) is collected by one full
collection every 200 freezes (`Freezing`), so the memory it holds stays bounded.
"""
from __future__ import annotations

import bisect
import copy
import gc
import itertools
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId

# Query values looked up in an index: those whose equality and hash agree with mongomock's comparison, or
# find too many (True is found with 1; the test of each candidate tells them apart). Not datetimes, which
# mongomock rounds to milliseconds, nor floats.
LOOKED_UP = (str, int, bool, ObjectId)


class _Indexes:
    """Of one collection: per indexed field, value -> ids; ids whose value is a list or a document are
    candidates for every value (an array field matches any of its elements)."""

    def __init__(self):
        self.by_value: dict[str, dict] = {}
        self.always: dict[str, set] = {}
        self.held: dict[object, dict[str, object]] = {}  # id -> field -> the value it is indexed under
        self.order: dict[object, int] = {}               # id -> when first stored (mongomock's natural order)
        self.counter = itertools.count()
        self.ordered: dict[tuple, _Ordered] = {}         # (prefix fields..., next field) -> its sorted entries

    def ordered_by(self, fields: tuple, store) -> "_Ordered":
        if fields not in self.ordered:
            built = self.ordered[fields] = _Ordered(fields)
            for document in store._documents.values():
                built.add(document["_id"], document, self.order.get(document["_id"], -1))
        return self.ordered[fields]

    def build(self, field: str, documents) -> None:
        self.by_value[field] = defaultdict(set)
        self.always[field] = set()
        for document in documents:
            self._add(field, document)

    def _add(self, field: str, document: dict) -> None:
        key = document["_id"]
        value = _value(document, field)
        if value is _MISSING:
            return
        if isinstance(value, (list, dict)) or not _hashable(value):
            self.always[field].add(key)
            self.held.setdefault(key, {})[field] = _ALWAYS
        else:
            self.by_value[field][value].add(key)
            self.held.setdefault(key, {})[field] = value

    def _remove(self, key) -> None:
        for field, value in self.held.pop(key, {}).items():
            if field not in self.by_value:
                continue
            if value is _ALWAYS:
                self.always[field].discard(key)
            else:
                self.by_value[field][value].discard(key)

    def stored(self, key, document: dict) -> None:
        self._remove(key)
        self.order.setdefault(key, next(self.counter))
        for field in self.by_value:
            self._add(field, document)
        for ordered in self.ordered.values():
            ordered.remove(key)
            ordered.add(key, document, self.order[key])

    def deleted(self, key) -> None:
        self._remove(key)
        self.order.pop(key, None)
        for ordered in self.ordered.values():
            ordered.remove(key)

    def candidates(self, field: str, value) -> set:
        return self.by_value[field].get(value, set()) | self.always[field]


_MISSING, _ALWAYS = object(), object()

# BSON's order of the plain kinds a range or a sort can use an index for (numbers, text, ObjectId, a naive
# datetime, as the engine stores them): within one kind Python's order is BSON's. Anything else (a missing
# value, None, a bool, NaN, a list, a document, an aware datetime) is odd: it is always a candidate, and an
# index whose documents hold one is not walked in order.
_RANKS = {int: 2, float: 2, str: 3, ObjectId: 7, datetime: 9}
_FIRST, _LAST = -1, float("inf")  # below and above every entry's order


def _rank(value):
    rank = _RANKS.get(type(value))
    if rank == 2 and value != value or rank == 9 and value.tzinfo is not None:
        return None
    return rank


class _Group:
    """The documents of one prefix of values: entries (rank, value, order, id), sorted as the index sorts
    them, ties in mongomock's natural order; the kinds they hold; the ids whose next value is odd."""
    __slots__ = ("entries", "ranks", "odd")

    def __init__(self):
        self.entries: list[tuple] = []
        self.ranks: Counter = Counter()
        self.odd: set = set()


class _Ordered:
    """Of a compound index's first fields: per equal values of all but the last (the prefix), the documents
    sorted by the last, as MongoDB's B-tree holds them, so that an equality prefix followed by a range (and
    a sort on that field) is answered by bisecting, not by testing every document of the prefix."""

    def __init__(self, fields: tuple):
        self.prefix, self.field = fields[:-1], fields[-1]
        self.groups: dict[tuple, _Group] = {}
        self.odd: set = set()  # ids whose prefix is not one hashable value per field (may match any prefix)
        self.held: dict[object, tuple] = {}  # id -> (prefix, entry or None), or (None, None) when odd

    def add(self, key, document: dict, order: int) -> None:
        prefix = tuple(_value(document, field) for field in self.prefix)
        if any(value is _MISSING for value in prefix):
            return  # matches no equality on a value an index looks up
        if any(isinstance(value, (list, dict)) or not _hashable(value) for value in prefix):
            self.odd.add(key)
            self.held[key] = (None, None)
            return
        group = self.groups.get(prefix)
        if group is None:
            group = self.groups[prefix] = _Group()
        value = _value(document, self.field)
        rank = None if value is _MISSING else _rank(value)
        if rank is None:
            group.odd.add(key)
            self.held[key] = (prefix, None)
            return
        entry = (rank, value, order, key)
        bisect.insort(group.entries, entry)
        group.ranks[rank] += 1
        self.held[key] = (prefix, entry)

    def remove(self, key) -> None:
        held = self.held.pop(key, None)
        if held is None:
            return
        prefix, entry = held
        if prefix is None:
            self.odd.discard(key)
            return
        group = self.groups[prefix]
        if entry is None:
            group.odd.discard(key)
        else:
            entries = group.entries
            del entries[bisect.bisect_left(entries, entry[:3])]  # orders are unique: the entry itself
            group.ranks[entry[0]] -= 1
            if not group.ranks[entry[0]]:
                del group.ranks[entry[0]]
        if not group.entries and not group.odd:
            del self.groups[prefix]

    def window(self, prefix: tuple, bounds: list) -> tuple[_Group | None, int, int]:
        """The group of `prefix` and the slice of its entries that `bounds` [(operator, rank, value)] may
        match: every entry on the far side of a bound whatever its kind, so that the slice holds what a
        comparison across kinds would match as well as what MongoDB's (by kind) matches."""
        group = self.groups.get(prefix)
        if group is None:
            return None, 0, 0
        entries, low, high = group.entries, 0, len(group.entries)
        for operator, rank, value in bounds:
            if operator == "$gt":
                low = max(low, bisect.bisect_right(entries, (rank, value, _LAST)))
            elif operator == "$gte":
                low = max(low, bisect.bisect_left(entries, (rank, value, _FIRST)))
            elif operator == "$lt":
                high = min(high, bisect.bisect_left(entries, (rank, value, _FIRST)))
            else:  # $lte
                high = min(high, bisect.bisect_right(entries, (rank, value, _LAST)))
        return group, low, max(low, high)


def _value(document: dict, field: str):
    value = document
    for part in field.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list):
            return []  # a path through an array: any document may match
        else:
            return _MISSING
    return value


def _looked_up(wanted):
    """The values a filter's condition on one field asks for, where an index can look them up: an equal
    value, `{"$eq": value}` or `{"$in": [values]}`; None for any other condition."""
    if isinstance(wanted, dict) and len(wanted) == 1:
        (operator, operand), = wanted.items()
        if operator == "$eq":
            wanted = operand
        elif operator == "$in" and isinstance(operand, list) and all(type(each) in LOOKED_UP for each in operand):
            return operand
    return [wanted] if type(wanted) in LOOKED_UP else None


_RANGES = {"$gt", "$gte", "$lt", "$lte"}


def _bounds(wanted):
    """A range on one field ({"$gt": 5, "$lte": 9}) whose operands an index can bisect by: [(operator, rank,
    value)]; None for any other condition."""
    if not isinstance(wanted, dict) or not wanted or not set(wanted) <= _RANGES:
        return None
    bounds = []
    for operator, operand in wanted.items():
        rank = _rank(operand)
        if rank is None or rank == 9:  # a datetime operand: mongomock rounds it, and may compare it aware
            return None
        bounds.append((operator, rank, operand))
    return bounds


def _prefixes(store, filter: dict):
    """For each compound index, the longest run of its first fields the filter asks one value of, and the
    next field: [(fields, prefix values, next field)]."""
    found = {}
    for index in store.indexes.values():
        fields = [key[0] if isinstance(key, (tuple, list)) else key for key in (index.get("key") or [])]
        if not fields or "_id" in fields:
            continue
        values = []
        for field in fields:
            found.setdefault(tuple(fields[:len(values) + 1]), tuple(values))
            looked_up = _looked_up(filter.get(field))
            if looked_up is None or len(looked_up) != 1:
                break
            values.append(looked_up[0])
    return [(fields, prefix) for fields, prefix in found.items()]


def _range_narrowed(store, filter: dict, keys: set | None):
    """`keys` narrowed further by every equality prefix of an index followed by a range on its next field."""
    if not any(_bounds(condition) for condition in filter.values()):  # most queries: no range, no index walk
        return keys
    indexes = indexes_of(store)
    for fields, prefix in _prefixes(store, filter):
        bounds = _bounds(filter.get(fields[-1]))
        if bounds is None:
            continue
        ordered = indexes.ordered_by(fields, store)
        group, low, high = ordered.window(prefix, bounds)
        if keys is not None and len(keys) <= high - low:
            continue
        found = set(ordered.odd)
        if group is not None:
            found.update(entry[3] for entry in group.entries[low:high])
            found |= group.odd
        keys = found if keys is None else keys & found
    return keys


def _in_order(store, filter: dict, field: str, direction: int):
    """The ids that may match, in the order of a sort on `field` (ties in natural order, as mongomock's
    stable sort leaves them), where an index holds them so: an equality prefix of a compound index whose
    next field is `field`, ranged or not, every document of the prefix holding one plain kind under it.
    None where no index does, or where another indexed field narrows the query to fewer documents."""
    if field == "_id" or _looked_up(filter.get("_id")) is not None:
        return None
    indexes, best = indexes_of(store), None
    for fields, prefix in _prefixes(store, filter):
        wanted = filter.get(field)
        bounds = [] if wanted is None else _bounds(wanted)
        if fields[-1] != field or bounds is None or not (prefix or bounds):
            continue
        ordered = indexes.ordered_by(fields, store)
        group, low, high = ordered.window(prefix, bounds)
        if ordered.odd or group is not None and (group.odd or len(group.ranks) > 1):
            continue
        if best is None or high - low < best[2] - best[1]:
            best = (group, low, high)
    if best is None:
        return None
    group, low, high = best
    for other in indexed_fields(store):  # an equality on another field that offers fewer documents to test
        values = _looked_up(filter.get(other))
        if values is not None and other in indexes.by_value and sum(
                len(indexes.by_value[other].get(value, ())) for value in values) + len(indexes.always[other]) \
                < high - low:
            return None
    entries = [] if group is None else group.entries[low:high]  # a snapshot: writes may follow the reads
    return _ids_of(entries, direction)


def _ids_of(entries: list, direction: int):
    """The ids of sorted entries, read lazily (a limited query reads a few), descending by runs of equal
    values from the last, each run in natural order."""
    if direction >= 0:
        for entry in entries:
            yield entry[3]
        return
    run = []
    for entry in reversed(entries):
        if run and (run[-1][0] != entry[0] or run[-1][1] != entry[1]):
            for each in reversed(run):
                yield each[3]
            run = []
        run.append(entry)
    for each in reversed(run):
        yield each[3]


def indexes_of(store) -> _Indexes:
    if not hasattr(store, "_trustone_indexes"):
        store._trustone_indexes = _Indexes()
        for key, document in store._documents.items():
            store._trustone_indexes.order.setdefault(key, next(store._trustone_indexes.counter))
    return store._trustone_indexes


def indexed_fields(store) -> list[str]:
    return [field for field in dict.fromkeys(
        key[0] if isinstance(key, (tuple, list)) else key
        for index in store.indexes.values() for key in (index.get("key") or []))  # [(field, direction)]
        if field != "_id"]


def narrowed(store, filter: dict):
    """The ids that may match: the ids every indexed field the filter names offers (each a superset of the
    matches, so their intersection is too), or None where no indexed field narrows the query."""
    indexes, keys = indexes_of(store), None
    for field in indexed_fields(store):
        values = _looked_up(filter.get(field))
        if values is None:
            continue
        if field not in indexes.by_value:
            indexes.build(field, list(store._documents.values()))
        found = set().union(*(indexes.candidates(field, value) for value in values))
        keys = found if keys is None else keys & found
        if not keys:
            return keys
    return _range_narrowed(store, filter, keys)


def _kind_of(values: list):
    """The one plain kind every value is of, whose Python order is BSON's (text, a number, a datetime of one
    awareness, ObjectId), or None (a missing value, None, a list, a bool, a mix: mongomock's own sort)."""
    kinds = set()
    for value in values:
        kind = type(value)
        if kind is float or kind is int:
            if value != value:  # NaN: first in BSON's order, nowhere in Python's
                return None
            kinds.add("number")
        elif kind is str or kind is ObjectId:
            kinds.add(kind)
        elif kind is datetime:
            kinds.add(("datetime", value.tzinfo is None))
        else:
            return None
        if len(kinds) > 1:
            return None
    return next(iter(kinds), "empty")


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


# Values copied as they are: immutable, and what a copy of them is in mongomock's own walks.
_ATOMS = frozenset({str, int, float, bool, type(None), bytes, ObjectId})
ORIGINAL: dict[str, object] = {}  # mongomock's own functions, which the short paths fall back on


def _rebuilding(fallback):
    """A walk that rebuilds plain dicts and lists, keeps the scalars of _ATOMS, and hands anything else (a
    datetime, an OrderedDict, a tuple) to `fallback`: mongomock's own function, or copy.deepcopy."""
    def walk(value):
        kind = type(value)
        if kind is dict:
            return {key: item if type(item) in _ATOMS else walk(item) for key, item in value.items()}
        if kind is list:
            return [item if type(item) in _ATOMS else walk(item) for item in value]
        return value if kind in _ATOMS else fallback(value)
    return walk


# mongomock's functions, each with the short walk (its own code still serves what is not a plain document):
_aware = _rebuilding(lambda value: ORIGINAL["aware"](value))  # datetimes read back, made UTC-aware
_naive = _rebuilding(lambda value: ORIGINAL["naive"](value))  # datetimes stored, naive UTC milliseconds
_copy_into_dict = _rebuilding(lambda value: ORIGINAL["copy_field"](value, dict))  # a document read back
_deepcopy = _rebuilding(copy.deepcopy)  # a stored document's snapshot before an update


def _copy_field(value, container):
    return _copy_into_dict(value) if container is dict else ORIGINAL["copy_field"](value, container)


class _Copying:
    """What mongomock's collection module calls as `copy`."""
    copy = staticmethod(copy.copy)
    deepcopy = staticmethod(lambda value, memo=None: _deepcopy(value))


@dataclass
class Freezing:
    """Counts the documents stored; every `every` of them sets the heap aside (gc.freeze), and every
    `recollect_every` freezes looks at everything once more, so the memory held stays bounded."""
    every: int = 250
    recollect_every: int = 200  # freezes: one full collection per 50,000 documents stored
    stored_since_freeze: int = 0
    freezes: int = 0

    def stored_one(self) -> None:
        self.stored_since_freeze += 1
        if self.stored_since_freeze < self.every:
            return
        self.stored_since_freeze, self.freezes = 0, self.freezes + 1
        if self.freezes % self.recollect_every == 0:
            gc.unfreeze()  # everything set aside is looked at once more: cycles that died meanwhile are freed
            gc.collect()
        else:
            gc.collect(1)  # the young garbage first: only what is alive now is set aside
        gc.freeze()


FREEZING = Freezing()


def _stored_one() -> None:
    FREEZING.stored_one()


def _applies(filter: dict, document: dict) -> bool:
    """mongomock's test of a document against a query (every document an index offers goes through it)."""
    return ORIGINAL["filter_applies"](filter, document)


def install() -> None:
    """Gives mongomock the lookups and the short copies (once per process)."""
    from mongomock import collection as engine
    from mongomock import helpers
    from mongomock import store as stores
    from mongomock.filtering import filter_applies, resolve_sort_key

    if getattr(engine.Collection, "_trustone_indexed", False):
        return

    ORIGINAL.update(filter_applies=filter_applies, copy_field=engine._copy_field,
                    aware=helpers.make_datetime_timezone_aware_in_document,
                    naive=helpers.patch_datetime_awareness_in_document)
    engine._copy_field = _copy_field
    helpers.make_datetime_timezone_aware_in_document = _aware
    helpers.patch_datetime_awareness_in_document = _naive
    engine.copy = _Copying

    compute_results = engine.Cursor._compute_results

    def limited_results(self, with_limit_and_skip=False):
        # A limited cursor (find_one is one) takes its documents from the query's lazy, sorted stream:
        # only those it returns are copied.
        if not (with_limit_and_skip and self._limit) or self._skip < 0:
            return compute_results(self, with_limit_and_skip)
        window = (self._factory, self._skip, self._limit)
        cached = getattr(self, "_trustone_window", None)
        if cached is not None and cached[0] == window and cached[1]:  # as mongomock's: nothing found, ask again
            return cached[1]
        documents = list(itertools.islice(self._factory(), self._skip, self._skip + abs(self._limit)))
        if self.collection.codec_options.tz_aware:
            documents = [helpers.make_datetime_timezone_aware_in_document(each) for each in documents]
        self._trustone_window = (window, documents)
        return documents

    engine.Cursor._compute_results = limited_results

    def find_one(self, filter=None, *args, **kwargs):
        # As pymongo's find_one: the first of find(...).limit(-1) (mongomock's asks for every match).
        if filter is None:
            filter = {}
        if not isinstance(filter, Mapping):
            filter = {"_id": filter}
        for document in self.find(filter, *args, **kwargs).limit(-1):
            return document
        return None

    engine.Collection.find_one = find_one

    set_item, del_item, drop = stores.CollectionStore.__setitem__, stores.CollectionStore.__delitem__, \
        stores.CollectionStore.drop

    def store_set(self, key, value):
        set_item(self, key, value)
        indexes_of(self).stored(key, value)
        _stored_one()

    def store_del(self, key):
        del_item(self, key)
        indexes_of(self).deleted(key)

    def store_drop(self):
        drop(self)
        if hasattr(self, "_trustone_indexes"):
            del self._trustone_indexes

    stores.CollectionStore.__setitem__ = store_set
    stores.CollectionStore.__delitem__ = store_del
    stores.CollectionStore.drop = store_drop

    # An update changes the stored document in place: index it again before the unique checks that follow.
    for name in ("_apply_update_document", "_apply_update_pipeline"):
        original = getattr(engine.Collection, name)

        def reindexed(self, existing_document, *args, _original=original, **kwargs):
            result = _original(self, existing_document, *args, **kwargs)
            key = existing_document.get("_id") if isinstance(existing_document, dict) else None
            if key is not None and _hashable(key) and self._store._documents.get(key) is existing_document:
                indexes_of(self._store).stored(key, existing_document)
            return result
        setattr(engine.Collection, name, reindexed)

    scan = engine.Collection._iter_documents

    def iter_documents(self, filter):
        if not isinstance(filter, dict) or not filter:
            return scan(self, filter)
        store = self._store
        keys = _looked_up(filter.get("_id"))
        if keys is None:
            keys = narrowed(store, filter)
        if keys is None:
            return scan(self, filter)
        if not all(_hashable(key) for key in keys):
            return scan(self, filter)
        store._remove_expired_documents()  # as mongomock's own scan does (TTL indexes)
        order = indexes_of(store).order
        found = [store._documents[key] for key in sorted(set(keys), key=lambda key: order.get(key, -1))
                 if key in store._documents]
        return (document for document in found if _applies(filter, document))

    engine.Collection._iter_documents = iter_documents

    get_dataset = ORIGINAL["get_dataset"] = engine.Collection._get_dataset

    def sorted_dataset(self, spec, sort, fields, as_class):
        # mongomock sorts with a BSON comparison in Python for every pair; where every document holds one
        # value of one plain type under each sort key, Python's own order of those values is BSON's.
        keys = list(sort.items() if isinstance(sort, dict) else sort or [])
        if not keys or any(not isinstance(key, str) or key.startswith("$") for key, _ in keys):
            yield from get_dataset(self, spec, sort, fields, as_class)
            return
        if len(keys) == 1 and isinstance(spec, dict) and spec:
            in_order = _in_order(self._store, spec, *keys[0])
            if in_order is not None:  # the index's order is the sort's: tested one by one as they are read
                self._store._remove_expired_documents()
                stored = self._store._documents
                for key in in_order:
                    document = stored.get(key)
                    if document is not None and _applies(spec, document):
                        yield self._copy_only_fields(document, fields, as_class)
                return
        documents = list(self._iter_documents(spec))
        for key, direction in reversed(keys):  # as mongomock: one stable sort per key, the last key first
            values = [_value(document, key) for document in documents]
            if _kind_of(values) is None:  # this key by mongomock's own comparison (the query is not run again)
                values = [resolve_sort_key(key, document) for document in documents]
            order = sorted(range(len(documents)), key=values.__getitem__, reverse=direction < 0)
            documents = [documents[index] for index in order]
        for document in documents:
            yield self._copy_only_fields(document, fields, as_class)

    engine.Collection._get_dataset = sorted_dataset
    engine.Collection._trustone_indexed = True
