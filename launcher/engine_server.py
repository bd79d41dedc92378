"""`trustone engine`: one in-process document engine (mongomock) served on a local port to several processes
of one machine, which connect with `common.shared_engine` (`mongomock+tcp://`). For tests and trials only:
it listens where it is told (the loopback address by default), trusts whoever connects, and nothing
survives it."""
from __future__ import annotations

import pickle
import socket
import threading

from common.shared_engine import receive, send


def serve(host: str, port: int) -> None:
    """Serves one mongomock engine until the process ends; every call runs alone, so each is as atomic as
    one operation on a MongoDB server."""
    import mongomock
    from common.mongo import in_process_engine
    engine = in_process_engine()
    lock = threading.Lock()

    def run(kind, database, collection, method, args, kwargs):
        if kind == "drop_database":
            return engine.drop_database(database)
        target = engine[database] if kind == "database" else engine[database][collection]
        result = getattr(target, method)(*args, **kwargs)
        if isinstance(result, (mongomock.collection.Cursor, mongomock.command_cursor.CommandCursor)):
            result = list(result)  # a cursor cannot travel; the repositories read each one whole
        return result

    def answer(connection: socket.socket):
        with connection:
            while True:
                try:
                    request = receive(connection)
                except (EOFError, OSError):
                    return
                try:
                    with lock:
                        reply = (False, run(*request))
                except Exception as exc:  # noqa: BLE001 - the caller gets the engine's error as pymongo raises it
                    reply = (True, exc)
                try:
                    send(connection, reply)
                except pickle.PicklingError as exc:
                    send(connection, (True, TypeError(f"cannot send the engine's answer: {exc}")))

    with socket.create_server((host, port)) as listener:
        while True:
            connection, _ = listener.accept()
            threading.Thread(target=answer, args=(connection,), daemon=True).start()
