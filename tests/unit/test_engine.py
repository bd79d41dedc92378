"""The in-process engine's indexes narrow which documents a query tests, never what it answers: after any
sequence of writes, every query gives what testing every document gives, in the same order."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mongomock.filtering import filter_applies

from common.mongo import in_process_engine

VALUES = st.sampled_from(["x", "y", "z"])
DOCUMENTS = st.fixed_dictionaries({}, optional={
    "a": VALUES | st.lists(VALUES, max_size=2) | st.none(), "b": st.integers(0, 3) | st.just(1.0),
    "c": st.fixed_dictionaries({}, optional={"d": VALUES})})
KEYS = st.integers(0, 8)
OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("insert"), KEYS, DOCUMENTS),
    st.tuples(st.just("set"), VALUES, VALUES),
    st.tuples(st.just("set_many"), st.integers(0, 3), VALUES),
    st.tuples(st.just("replace"), KEYS, DOCUMENTS),
    st.tuples(st.just("upsert"), KEYS, VALUES),
    st.tuples(st.just("delete"), VALUES, st.none()),
    st.tuples(st.just("index"), st.sampled_from(["a", "b", "c.d"]), st.booleans()),
), max_size=30)
QUERIES = [{"a": "x"}, {"a": "y"}, {"b": 1}, {"b": 0}, {"c.d": "z"}, {"a": "x", "b": 1}, {"_id": 3},
           {"_id": {"$in": [1, 2, 7]}}, {"a": None}]


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
            else:
                collection.create_index(first, unique=False) if not second else collection.create_index([(first, -1)])
        except Exception as refused:  # a duplicate _id: refused alike on every engine
            assert type(refused).__name__ == "DuplicateKeyError"
        for query in QUERIES:
            everything = [each["_id"] for each in collection._store._documents.values()
                          if filter_applies(query, each)]
            assert [each["_id"] for each in collection.find(query)] == everything, (query, operations)
