"""The in-process document engine (mongomock) served to several processes on one machine.

mongomock lives in one process; several instances of a service, each its own process, must share their
databases to compete for one queue's work as they would on MongoDB. `trustone engine` serves one
mongomock on a local port, and `mongomock+tcp://127.0.0.1:<port>/<name>` connects to it: each collection
call (pymongo's API, as the repositories make it) runs in the engine's process, one at a time, and its
result (a cursor read out as a list) or its error (DuplicateKeyError, ...) comes back, pickled over a
plain socket (green under eventlet, as the services run). The server is the launcher's
(`launcher/engine_server.py`); this module is the client and the wire both share. For tests and trials on one machine only: it
listens on the loopback address, trusts whoever connects, and nothing survives it.
"""
from __future__ import annotations

import pickle
import queue
import socket
import struct
from urllib.parse import urlparse

from pymongo.errors import AutoReconnect

SCHEME = "mongomock+tcp://"
_LENGTH = struct.Struct("!I")


def send(sock: socket.socket, message) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_LENGTH.pack(len(payload)) + payload)


def _receive_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive(sock: socket.socket):
    (size,) = _LENGTH.unpack(_receive_exactly(sock, _LENGTH.size))
    return pickle.loads(_receive_exactly(sock, size))


class SharedClient:
    """What `pymongo.MongoClient` is to the repositories: `client[name]` is a database."""

    def __init__(self, uri: str):
        parsed = urlparse(uri)
        self._address = (parsed.hostname or "127.0.0.1", parsed.port)
        self._idle: queue.LifoQueue = queue.LifoQueue()  # connections not in use: a call has one to itself

    def __getitem__(self, name: str) -> "SharedDatabase":
        return SharedDatabase(self, name)

    def call(self, request: tuple):
        try:
            connection = self._idle.get_nowait()
        except queue.Empty:
            connection = None
        try:
            connection = connection or socket.create_connection(self._address, timeout=30)
            send(connection, request)
            failed, result = receive(connection)
        except (EOFError, OSError):  # as pymongo says a server it cannot reach is: a PyMongoError
            if connection is not None:
                connection.close()
            raise AutoReconnect(f"the shared document engine at {self._address} does not answer") from None
        self._idle.put(connection)
        if failed:
            raise result
        return result

    def drop_database(self, name: str) -> None:
        self.call(("drop_database", name, None, None, (), {}))


class SharedDatabase:
    def __init__(self, client: SharedClient, name: str):
        self._client, self.name = client, name

    def __getattr__(self, collection: str) -> "SharedCollection":
        if collection.startswith("_"):
            raise AttributeError(collection)
        return SharedCollection(self._client, self.name, collection)

    __getitem__ = __getattr__

    def command(self, *args, **kwargs):
        return self._client.call(("database", self.name, None, "command", args, kwargs))


class SharedCollection:
    def __init__(self, client: SharedClient, database: str, name: str):
        self._client, self._database, self.name = client, database, name

    def __getattr__(self, method: str):
        if method.startswith("_"):
            raise AttributeError(method)

        def call(*args, **kwargs):
            return self._client.call(("collection", self._database, self.name, method, args, kwargs))
        return call
