"""The engine the storage suite runs on: with MONGO_URI=mongodb://... set, that MongoDB (an operator's check
before going live: `MONGO_URI=mongodb://host:27017/trustone scripts/test tests/storage`); else the
in-process engine, in this process and served to several (what tests of several instances run on)."""
import os
import uuid

import pytest

from common import mongo
from tests.support import Processes, SharedEngine

GIVEN = os.environ.get("MONGO_URI", "")
REAL = GIVEN.startswith(("mongodb://", "mongodb+srv://"))


@pytest.fixture(scope="session")
def shared_engine(tmp_path_factory):
    running = Processes(tmp_path_factory.mktemp("engine"))
    yield SharedEngine(running)
    running.stop_all()


@pytest.fixture(params=["mongodb"] if REAL else ["in-process", "shared"])
def engine(request):
    """The base URI of the engine under test (its path is replaced per test)."""
    if request.param == "mongodb":
        return GIVEN
    if request.param == "in-process":
        return "mongomock://localhost/storage"
    return request.getfixturevalue("shared_engine").uri("storage")


@pytest.fixture
def database(engine):
    """database(service) -> a fresh database of the engine under test, dropped afterwards."""
    client, prefix, made = mongo.client(engine), f"storage_{uuid.uuid4().hex[:10]}", []

    def make(service: str):
        made.append(f"{prefix}_{service}")  # named as the services name theirs: <name>_<service>
        return client[made[-1]]
    yield make
    for name in made:
        client.drop_database(name)
