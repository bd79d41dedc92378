"""The in-process engine's indexes narrow which documents a query tests, never what it answers: after any
sequence of writes, every query gives what testing every document gives, in the same order; a limited
query gives the first of what the unlimited one gives; its short copies give what mongomock's own give."""
import copy
from collections import OrderedDict
from datetime import datetime, timedelta, timezone

from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mongomock.filtering import filter_applies, resolve_sort_key

from common import engine
from common.mongo import in_process_engine

VALUES = st.sampled_from(["x", "y", "z"])
DOCUMENTS = st.fixed_dictionaries({}, optional={
    "a": VALUES | st.lists(VALUES, max_size=2) | st.none(), "b": st.integers(0, 3) | st.just(1.0) | st.booleans(),
    "c": st.fixed_dictionaries({}, optional={"d": VALUES})})
KEYS = st.integers(1, 9)  # not 0: mongomock (not MongoDB) refuses to replace a document whose _id is 0
OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("insert"), KEYS, DOCUMENTS),
    st.tuples(st.just("set"), VALUES, VALUES),
    st.tuples(st.just("set_many"), st.integers(0, 3), VALUES),
    st.tuples(st.just("replace"), KEYS, DOCUMENTS),
    st.tuples(st.just("upsert"), KEYS, VALUES),
    st.tuples(st.just("delete"), VALUES, st.none()),
    st.tuples(st.just("index"), st.sampled_from(["a", "b", "c.d"]), st.booleans()),
    st.tuples(st.just("compound"), st.sampled_from([("b", "a"), ("c.d", "b")]), st.none()),
), max_size=30)
QUERIES = [{"a": "x"}, {"a": "y"}, {"b": 1}, {"b": 0}, {"c.d": "z"}, {"a": "x", "b": 1}, {"_id": 3},
           {"_id": {"$in": [1, 2, 7]}}, {"a": None}, {"b": True}, {"b": False}, {"b": 1, "a": "y"},
           {"b": {"$in": [0, 3]}, "c.d": "x"}, {"a": {"$eq": "z"}, "b": {"$gt": 0}}, {"a": {"$in": []}},
           {"c.d": {"$in": ["x", "y"]}, "b": 1, "a": "x"}]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None,
          derandomize=True)
@given(OPERATIONS)
def test_every_query_answers_what_testing_every_document_answers(operations):
    collection = in_process_engine()["engine_test"][f"c{id(operations)}"]
    collection.drop()
    for kind, first, second in operations:
        try:
            if kind == "insert":
                collection.insert_one({"_id": first, **second})
            elif kind == "set":
                collection.update_one({"a": first}, {"$set": {"a": second, "c.d": second}})
            elif kind == "set_many":
                collection.update_many({"b": first}, {"$set": {"a": second}, "$inc": {"b": 1}})
            elif kind == "replace":
                collection.replace_one({"_id": first}, second)
            elif kind == "upsert":
                collection.update_one({"_id": first, "a": {"$ne": second}}, {"$set": {"a": second}}, upsert=True)
            elif kind == "delete":
                collection.delete_one({"a": first})
            elif kind == "compound":
                collection.create_index([(field, 1) for field in first])
            else:
                collection.create_index(first, unique=False) if not second else collection.create_index([(first, -1)])
        except Exception as refused:  # a duplicate _id: refused alike on every engine
            assert type(refused).__name__ == "DuplicateKeyError"
        for query in QUERIES:
            everything = [each["_id"] for each in collection._store._documents.values()
                          if filter_applies(query, each)]
            assert [each["_id"] for each in collection.find(query)] == everything, (query, operations)
            in_order = [each["_id"] for each in collection.find(query, sort=[("b", -1), ("_id", 1)])]
            for skip, limit in ((0, 1), (1, 2), (0, -1)):
                window = collection.find(query, sort=[("b", -1), ("_id", 1)], skip=skip, limit=limit)
                assert [each["_id"] for each in window] == in_order[skip:skip + abs(limit)], (query, skip, limit)
            first = collection.find_one(query, sort=[("b", 1)])
            assert (first or {}).get("_id") == next((each["_id"] for each in collection.find(query, sort=[("b", 1)])),
                                                    None)


def test_a_compound_indexs_query_tests_only_the_documents_that_hold_both_values():
    collection = in_process_engine()["engine_test"]["compound"]
    collection.drop()
    collection.create_index([("company", 1), ("year", 1)])
    collection.insert_many([{"_id": f"{company}-{year}", "company": company, "year": year}
                            for company in range(200) for year in (1, 2, 3)])
    # every company has year 1 and every year has 200 companies: only both fields together narrow to one
    assert engine.narrowed(collection._store, {"company": 7, "year": 2}) == {"7-2"}
    assert engine.narrowed(collection._store, {"company": {"$in": [7, 8]}, "year": 1}) == {"7-1", "8-1"}
    assert [each["_id"] for each in collection.find({"company": 7, "year": {"$in": [3, 1]}})] == ["7-1", "7-3"]


KINDS = {"text": st.sampled_from(["a", "b", "bb", "c"]), "number": st.sampled_from([0, 1, 1.5, 2, 2.0, 3])}
RANGED = st.one_of(KINDS["text"], KINDS["number"], st.none(), st.booleans(),
                   st.lists(KINDS["text"] | KINDS["number"], min_size=1, max_size=2))


@st.composite
def ranged_collections(draw):
    """Documents and writes whose k is of one kind (text or numbers: the index is walked in order), or of
    any kind, missing, and under a year that is a list (the index only narrows, mongomock sorts)."""
    kind = draw(st.sampled_from(["text", "number", "odd"]))
    values = KINDS.get(kind, RANGED)
    years = st.sampled_from([1, 2, [1, 2]] if kind == "odd" else [1, 2])
    document = (st.fixed_dictionaries({"y": years}, optional={"k": values, "w": st.integers(0, 1)}) if kind == "odd"
                else st.fixed_dictionaries({"y": years, "k": values}, optional={"w": st.integers(0, 1)}))
    documents = draw(st.lists(document, min_size=3, max_size=20))
    operations = draw(st.lists(st.one_of(
        st.tuples(st.just("insert"), st.integers(30, 40), document),
        st.tuples(st.just("replace"), st.integers(0, 40), document),
        st.tuples(st.just("set"), st.integers(0, 40), values),
        st.tuples(st.just("delete"), st.integers(0, 40), st.none()),
        st.tuples(st.just("index"), st.sampled_from([("y", "k"), ("k",), ("y", "k", "w")]), st.none()),
    ), max_size=15))
    return documents, operations


BOUNDS = st.dictionaries(st.sampled_from(["$gt", "$gte", "$lt", "$lte"]),
                         st.sampled_from(["a", "b", "bz", 1, 2, 1.5, 2.0]), min_size=1, max_size=2)


def scanned(collection, query, sort):
    """What mongomock itself answers: every stored document tested, then its own stable sort per key."""
    found = [each for each in list(collection._store.documents) if filter_applies(query, each)]
    for key, direction in reversed(sort):
        found = sorted(found, key=lambda each, key=key: resolve_sort_key(key, each), reverse=direction < 0)
    return [each["_id"] for each in found]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None,
          derandomize=True)
@given(ranged_collections(), st.lists(st.tuples(st.sampled_from([1, 2, None]), BOUNDS | st.none(),
                                             st.sampled_from([[], [("k", 1)], [("k", -1)]]),
                                             st.sampled_from([0, 1, 3]), st.booleans()), min_size=1, max_size=6))
def test_a_range_after_an_equality_prefix_answers_what_testing_every_document_answers(stored, queries):
    documents, operations = stored
    collection = in_process_engine()["engine_test"]["ranges"]
    collection.drop()
    collection.create_index([("y", 1), ("k", 1)])
    collection.insert_many([{"_id": index, **each} for index, each in enumerate(documents)])
    for kind, first, second in operations:
        try:
            if kind == "insert":
                collection.insert_one({"_id": first, **second})
            elif kind == "replace":
                collection.replace_one({"_id": first}, second)
            elif kind == "set":
                collection.update_one({"_id": first}, {"$set": {"k": second}})
            elif kind == "delete":
                collection.delete_one({"_id": first})
            else:
                collection.create_index([(field, 1) for field in first])
        except Exception as refused:  # a duplicate _id: refused alike on every engine
            assert type(refused).__name__ == "DuplicateKeyError"
    for year, bounds, sort, limit, with_w in queries:
        query = {} if year is None else {"y": year}
        if bounds is not None:
            query["k"] = bounds
        if with_w:
            query["w"] = {"$ne": 1}
        if not query:
            continue
        expected = scanned(collection, query, sort)
        found = [each["_id"] for each in collection.find(query, sort=sort or None, limit=limit)]
        assert found == (expected[:limit] if limit else expected), (query, sort, limit, operations)
        assert collection.count_documents(query) == len(expected)


def test_a_range_after_an_equality_prefix_tests_only_the_documents_of_its_page(monkeypatch):
    collection = in_process_engine()["engine_test"]["range_page"]
    collection.drop()
    collection.create_index([("year", 1), ("company", 1)])
    collection.insert_many([{"_id": f"{year}:{number:04d}", "year": year, "company": f"c{number:04d}",
                             "assessed": None if number % 10 == 3 else {"score": number}}
                            for year in (1, 2) for number in range(2000)])
    tested = []

    def counted(filter, document, applies=engine._applies):
        tested.append(document["_id"])
        return applies(filter, document)

    monkeypatch.setattr(engine, "_applies", counted)
    query = {"year": 1, "assessed": {"$ne": None}, "company": {"$gt": "c0995"}}
    page = [each["_id"] for each in collection.find(query, sort=[("company", 1)], limit=25)]
    assert page == [f"1:{number:04d}" for number in range(996, 1024) if number % 10 != 3][:25]
    assert len(tested) <= 30  # the 25 returned and the 3 without an assessment among them, of 4,000 stored
    tested.clear()
    backwards = [each["_id"] for each in collection.find({"year": 2, "company": {"$lt": "c0100", "$gte": "c0090"}},
                                                          sort=[("company", -1)])]
    assert backwards == [f"2:{number:04d}" for number in range(99, 89, -1)] and len(tested) == 10
    tested.clear()
    assert collection.count_documents({"year": 1, "company": {"$gte": "c1990"}}) == 10 and len(tested) == 10


SORTED = st.one_of(st.text(max_size=2), st.integers(-3, 3), st.floats(allow_nan=True, width=16), st.booleans(),
                   st.none(), st.builds(ObjectId), st.lists(st.integers(0, 2), max_size=2),
                   st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2020, 1, 3)))


@settings(max_examples=200, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.lists(st.fixed_dictionaries({}, optional={"k": SORTED, "j": st.integers(0, 2) | st.text(max_size=1)}),
                min_size=1, max_size=12), st.booleans(), st.sampled_from([[("k", 1)], [("k", -1)], [("j", 1), ("k", -1)],
                                                               [("k", -1), ("_id", 1)]]))
def test_a_sorted_query_gives_what_mongomocks_own_sort_gives(documents, uniform, sort):
    collection = in_process_engine()["engine_test"]["sorting"]
    collection.drop()
    if uniform:  # one plain kind under every key: the engine's own sort serves it
        documents = [{"k": index * 7 % 5, "j": str(index % 3)} for index in range(len(documents))]
    collection.insert_many([{"_id": index, **each} for index, each in enumerate(documents)])
    own = [each["_id"] for each in collection.find({}, sort=sort)]
    mongomocks = [each["_id"] for each in engine.ORIGINAL["get_dataset"](collection, {}, sort, None, dict)]
    assert own == mongomocks, (documents, sort)


TIMES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1))
SCALARS = (st.text(max_size=3) | st.integers() | st.floats(allow_nan=False) | st.booleans() | st.none()
           | st.binary(max_size=3) | st.builds(ObjectId) | TIMES
           | TIMES.map(lambda moment: moment.replace(tzinfo=timezone(timedelta(hours=2)))))
VALUES_IN_DOCUMENTS = st.recursive(SCALARS, lambda inner: (
    st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    | st.tuples(inner) | st.dictionaries(st.text(max_size=2), inner, max_size=2).map(OrderedDict)), max_leaves=12)


def shapes(value):
    """A value with the type of every container and scalar in it, to compare more than equality."""
    if isinstance(value, dict):
        return (type(value).__name__, [(key, shapes(item)) for key, item in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [shapes(item) for item in value])
    return (type(value).__name__, value)


def shares_containers(one, other) -> bool:
    if isinstance(one, (dict, list)) and one is other:
        return True
    if isinstance(one, dict) and isinstance(other, dict):
        return any(shares_containers(one[key], other[key]) for key in one if key in other)
    if isinstance(one, list) and isinstance(other, list):
        return any(shares_containers(first, second) for first, second in zip(one, other))
    return False


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(VALUES_IN_DOCUMENTS)
def test_the_short_copies_give_what_mongomocks_own_give_and_share_nothing_with_the_original(value):
    in_process_engine()  # installs the engine's functions
    assert shapes(engine._naive(value)) == shapes(engine.ORIGINAL["naive"](value))
    assert shapes(engine._aware(value)) == shapes(engine.ORIGINAL["aware"](value))
    assert shapes(engine._copy_field(value, dict)) == shapes(engine.ORIGINAL["copy_field"](value, dict))
    assert shapes(engine._deepcopy(value)) == shapes(copy.deepcopy(value))
    for short_copy in (engine._naive(value), engine._aware(value), engine._copy_field(value, dict),
                       engine._deepcopy(value)):
        assert not shares_containers(short_copy, value)


def test_a_limited_cursor_that_found_nothing_looks_again_when_rewound():
    collection = in_process_engine()["engine_test"]["rewound"]
    collection.drop()
    cursor = collection.find({"v": 99}).limit(1)
    assert list(cursor) == []
    collection.insert_one({"_id": 1, "v": 99})
    cursor.rewind()
    assert [each["_id"] for each in cursor] == [1]
    assert collection.find_one(1)["v"] == 99 and collection.find_one({"v": 98}) is None


def test_a_document_read_back_is_a_copy_and_its_datetimes_are_utc():
    collection = in_process_engine()["engine_test"]["copies"]
    collection.drop()
    stored = {"_id": 1, "at": datetime(2026, 1, 5, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1))),
              "nested": {"list": [1, {"x": "y"}]}}
    collection.insert_one(stored)
    read = collection.find_one({"_id": 1})
    assert read["at"] == datetime(2026, 1, 5, 11, 0, 0, 123000, tzinfo=timezone.utc)
    read["nested"]["list"][1]["x"] = "changed"
    assert collection.find_one({"_id": 1})["nested"]["list"][1]["x"] == "y"
    collection.update_one({"_id": 1}, {"$set": {"nested.list.0": 2}})
    assert collection.find_one({"_id": 1}, {"nested": 1})["nested"]["list"] == [2, {"x": "y"}]


def test_what_a_freeze_set_aside_is_collected_by_the_next_full_collection(monkeypatch):
    import gc
    import weakref

    class Node:
        pass

    collection = in_process_engine()["engine_test"]["frozen"]
    collection.drop()
    monkeypatch.setattr(engine, "FREEZING", engine.Freezing(every=10, recollect_every=3))
    first, second = Node(), Node()
    first.other, second.other = second, first  # a reference cycle, alive when the next freeze comes
    gone = weakref.ref(first)
    for number in range(10):
        collection.insert_one({"_id": number})
    assert gc.get_freeze_count() > 0
    del first, second
    gc.collect()
    assert gone() is not None, "set aside by the freeze: no collection looks at it"
    for number in range(10, 30):  # the third freeze collects everything first
        collection.insert_one({"_id": number})
    assert gone() is None
    assert collection.count_documents({}) == 30
