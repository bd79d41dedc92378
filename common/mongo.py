"""The one place MongoDB is reached: a pymongo client per process, one database per service.

`mongodb://` (or `mongodb+srv://`) URIs go to pymongo against a real server. `mongomock://host/name`
selects mongomock, an in-process engine implementing pymongo's API, for tests and the embedded default:
no MongoDB server can be installed on our build machines. `mongomock+tcp://127.0.0.1:<port>/name` is that
engine served to several processes of one machine (`common.shared_engine`), for several instances of a
service. The URI scheme is the only difference; every
repository runs the same pymongo calls on both.
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from urllib.parse import urlparse

from bson import ObjectId
from bson.errors import InvalidId
from nameko.extensions import DependencyProvider
from pymongo.errors import PyMongoError

from common import settings, shared_engine
from common.settings import EMBEDDED_MONGO_SCHEME

_clients: dict[str, object] = {}
_lock = threading.Lock()


def in_process_engine():
    """A client of the in-process engine (mongomock, with indexes: common.engine)."""
    import mongomock
    from common import engine
    engine.install()
    return mongomock.MongoClient(tz_aware=True)


def client(uri: str):
    """The process's client for `uri`, created once."""
    with _lock:
        if uri not in _clients:
            if uri.startswith(EMBEDDED_MONGO_SCHEME):
                from mongomock.gridfs import enable_gridfs_integration
                enable_gridfs_integration()  # pymongo's own gridfs.GridFS then works on the engine's databases
                _clients[uri] = in_process_engine()
            elif uri.startswith(shared_engine.SCHEME):
                _clients[uri] = shared_engine.SharedClient(uri)
            else:
                import pymongo
                _clients[uri] = pymongo.MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=3000)
        return _clients[uri]


def database(uri: str, service_name: str):
    """The database a service owns: `<name from the URI path>_<service>`."""
    name = urlparse(uri).path.strip("/").split("/")[0]
    if not name:
        raise ValueError(f"MONGO_URI must name the databases in its path (mongodb://host/<name>), not {uri!r}")
    return client(uri)[f"{name}_{service_name}"]


@dataclass(frozen=True)
class Index:
    """An index a repository relies on: for its queries to stay fast, or (unique, TTL) for correctness."""
    keys: tuple[tuple[str, int], ...]
    unique: bool = False
    expire_after_seconds: int | None = None

    @classmethod
    def on(cls, *keys: str | tuple[str, int], unique: bool = False,
           expire_after_seconds: int | None = None) -> "Index":
        """Index.on("token_hash", unique=True), Index.on(("company_id", 1), ("version", -1))."""
        return cls(tuple((key, 1) if isinstance(key, str) else key for key in keys), unique, expire_after_seconds)

    def create(self, collection) -> None:
        options = {"unique": True} if self.unique else {}
        if self.expire_after_seconds is not None:
            options["expireAfterSeconds"] = self.expire_after_seconds
        collection.create_index(list(self.keys), **options)


class Repository:
    """Base of a service's repositories: owns a database, creates its indexes once at start.

    `INDEXES` ({collection: (Index, ...)}) is the one place a repository's indexes are declared; nothing
    else creates one, and the storage suite (tests/storage) checks each on the engine it runs on.
    """

    INDEXES: dict[str, tuple[Index, ...]] = {}

    def __init__(self, db):
        self.db = db

    def ensure_indexes(self) -> None:
        """Create the indexes this repository relies on (idempotent)."""
        for collection, indexes in self.INDEXES.items():
            for index in indexes:
                index.create(self.db[collection])

    def ping(self) -> bool:
        try:
            self.db.command("ping")
            return True
        except PyMongoError:
            return False


class Files:
    """A service's files (photos, PDFs) in a GridFS bucket of its database, each kept with its content type
    and the fields it is found by (`case`, `company_id`). The bucket is made on first use: the engine that
    serves several processes in tests (common.shared_engine) serves no GridFS, and everything else of a
    service works on it."""

    def __init__(self, db, collection: str):
        self.db, self.collection = db, collection

    @functools.cached_property
    def bucket(self):
        import gridfs
        return gridfs.GridFS(self.db, collection=self.collection)

    def put(self, content: bytes, content_type: str, **fields) -> str:
        """Keeps a file; its id (text)."""
        return str(self.bucket.put(content, metadata={"content_type": content_type}, **fields))

    def get(self, file_id: str, **fields) -> tuple[bytes, str] | None:
        """The file and its content type, when `file_id` names one kept with `fields`; else None."""
        found = self.find(file_id, **fields)
        return (found.read(), found.metadata["content_type"]) if found else None

    def find(self, file_id: str, **fields):
        """The kept file (a GridOut: its fields as attributes, `read()`), or None (an id that is no id too)."""
        try:
            return self.bucket.find_one({"_id": ObjectId(file_id), **fields})
        except (InvalidId, TypeError):
            return None

    def update(self, file_id: str, changes: dict, **fields) -> bool:
        """Changes the fields a file is found by (`{"$set": ...}`), when it (still) has `fields`; its content
        never changes. Whether it had them (one document, at once: a condition no other writer slips into)."""
        try:
            selector = {"_id": ObjectId(file_id), **fields}
        except (InvalidId, TypeError):
            return False
        return self.db[f"{self.collection}.files"].update_one(selector, changes).matched_count == 1

    def ids(self, selector: dict) -> list[str]:
        """The ids of the files whose fields match `selector` (a query on GridFS's file records)."""
        return [str(each["_id"]) for each in self.db[f"{self.collection}.files"].find(selector, {"_id": 1})]

    def total_size(self, selector: dict) -> int:
        """The bytes of the files whose fields match `selector`, together."""
        return sum(each["length"] for each in self.db[f"{self.collection}.files"].find(selector, {"length": 1}))

    def delete(self, file_id: str) -> None:
        self.bucket.delete(ObjectId(file_id))


class Storage(DependencyProvider):
    """Hands each worker the service's repository, built once on the process's client."""

    def __init__(self, repository_cls: type[Repository]):
        self.repository_cls = repository_cls

    def setup(self):
        uri = settings.of(self.container).mongo_uri
        self.repository = self.repository_cls(database(uri, self.container.service_name))
        self.repository.ensure_indexes()

    def stop(self):
        # The marks of events that went out since the last write of marks (common.outbox): written now,
        # so that a restart does not send them again.
        for outbox in getattr(self.repository, "outboxes", ()):
            try:
                outbox.flush()
            except PyMongoError:
                pass  # the relay of the next start sends them again; consumers drop the duplicates

    def get_dependency(self, worker_ctx):
        return self.repository
