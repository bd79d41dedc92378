"""What is sealed at rest opens with its key only, and keys rotate: the first listed seals, each listed opens."""
import pytest
from cryptography.fernet import InvalidToken

from common.sealing import Sealer


def sealer(*keys):
    return Sealer(",".join(keys), setting="A_SECRET_KEY", without_key="nothing sealed survives a restart")


def test_what_is_sealed_reads_as_nothing_without_its_key():
    key = Sealer.new_key()
    sealed = sealer(key).seal("Jan de Vries, +31 6 1234 5678")
    assert "Jan" not in sealed
    assert sealer(key).open(sealed) == "Jan de Vries, +31 6 1234 5678"
    assert sealer(Sealer.new_key()).open(sealed) is None, "another key opens nothing"
    assert sealer(key).seal(None) is None and sealer(key).open(None) is None
    with pytest.raises(InvalidToken):  # a file that cannot be read is an error, never an empty file
        sealer(Sealer.new_key()).open_bytes(sealer(key).seal_bytes(b"%PDF-1.7"))


def test_a_rotated_key_still_opens_what_it_sealed_and_the_new_key_seals_from_then_on():
    old, new = Sealer.new_key(), Sealer.new_key()
    before = sealer(old).seal("sealed before the rotation")
    file_before = sealer(old).seal_bytes(b"a photo")
    rotated = sealer(new, old)
    assert rotated.open(before) == "sealed before the rotation"
    assert rotated.open_bytes(file_before) == b"a photo"
    after = rotated.seal("sealed after")
    assert sealer(new).open(after) == "sealed after"
    assert sealer(old).open(after) is None, "the old key no longer seals"


def test_without_a_key_a_new_one_is_made_and_a_warning_says_what_that_means(caplog):
    made = Sealer(" ", setting="A_SECRET_KEY", without_key="a restart signs everyone out")
    assert made.open(made.seal("text")) == "text"
    assert "A_SECRET_KEY is not set: a new key is made, and a restart signs everyone out" in caplog.text


def test_a_malformed_key_stops_the_service_from_starting():
    with pytest.raises(ValueError):
        sealer("not-a-fernet-key")
    with pytest.raises(ValueError, match="A_SECRET_KEY lists no key"):
        sealer(",")
