"""What becomes of an event a handler could not handle (common.redelivery)."""
import pytest

from common import errors, redelivery
from common.events import InvalidEvent

POLICY = redelivery.RetryPolicy(attempts=4, backoff_seconds=0.5)


def test_a_failure_is_retried_after_a_pause_that_doubles_then_parked():
    decisions = [POLICY.after_failure(attempt, RuntimeError("database down")) for attempt in (1, 2, 3, 4)]
    assert [each.retry_after for each in decisions[:3]] == [0.5, 1.0, 2.0]
    assert [each.park for each in decisions[:3]] == [None, None, None]
    assert decisions[3] == redelivery.Decision(park=redelivery.RETRIES_EXHAUSTED)


@pytest.mark.parametrize("error, reason", [
    (errors.Invalid({"covenant_year": ["Unknown year."]}), redelivery.DOMAIN_ERROR),
    (errors.NotFound(), redelivery.DOMAIN_ERROR),
    (InvalidEvent("unknown event report_scored v9"), redelivery.INVALID_EVENT),
])
def test_what_can_never_succeed_is_parked_at_once_with_its_reason(error, reason):
    assert POLICY.after_failure(1, error) == redelivery.Decision(park=reason)


def test_a_peer_or_store_that_does_not_answer_is_retried_not_parked():
    decision = POLICY.after_failure(1, errors.Unavailable("Too much contention on the sector figures."))
    assert decision == redelivery.Decision(retry_after=0.5)


def test_one_attempt_means_no_retry():
    assert redelivery.RetryPolicy(1, 1.0).after_failure(1, KeyError("company")).park == redelivery.RETRIES_EXHAUSTED


@pytest.mark.parametrize("attempts, backoff", [(0, 1.0), (3, -1.0)])
def test_a_policy_that_could_not_work_is_refused(attempts, backoff):
    with pytest.raises(ValueError):
        redelivery.RetryPolicy(attempts, backoff)


def test_the_error_an_operator_reads_is_named_and_bounded():
    assert redelivery.describe(KeyError("company")) == "KeyError: 'company'"
    assert len(redelivery.describe(RuntimeError("x" * 2000))) == 500
