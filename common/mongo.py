"""The one place MongoDB is reached: a pymongo client per process, one database per service.

`mongodb://` (or `mongodb+srv://`) URIs go to pymongo against a real server. `mongomock://host/name`
selects mongomock, an in-process engine implementing pymongo's API, for tests and the embedded default:
no MongoDB server can be installed on our build machines. The URI scheme is the only difference; every
repository runs the same pymongo calls on both.
"""
from __future__ import annotations

import threading
from urllib.parse import urlparse

from nameko.extensions import DependencyProvider
from pymongo.errors import PyMongoError

from common import settings
from common.settings import EMBEDDED_MONGO_SCHEME

_clients: dict[str, object] = {}
_lock = threading.Lock()


def client(uri: str):
    """The process's client for `uri`, created once."""
    with _lock:
        if uri not in _clients:
            if uri.startswith(EMBEDDED_MONGO_SCHEME):
                import mongomock
                from mongomock.gridfs import enable_gridfs_integration
                enable_gridfs_integration()  # pymongo's own gridfs.GridFS then works on the engine's databases
                _clients[uri] = mongomock.MongoClient(tz_aware=True)
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


class Repository:
    """Base of a service's repositories: owns a database, declares its indexes once at start."""

    def __init__(self, db):
        self.db = db

    def ensure_indexes(self) -> None:
        """Create the indexes this repository relies on (idempotent)."""

    def ping(self) -> bool:
        try:
            self.db.command("ping")
            return True
        except PyMongoError:
            return False


class Storage(DependencyProvider):
    """Hands each worker the service's repository, built once on the process's client."""

    def __init__(self, repository_cls: type[Repository]):
        self.repository_cls = repository_cls

    def setup(self):
        uri = settings.of(self.container).mongo_uri
        self.repository = self.repository_cls(database(uri, self.container.service_name))
        self.repository.ensure_indexes()

    def get_dependency(self, worker_ctx):
        return self.repository
