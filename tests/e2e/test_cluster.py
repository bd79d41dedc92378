"""End to end on a three-node RabbitMQ cluster with quorum queues (QUEUE_TYPE=quorum), losing nodes
mid-stream: three nodes of the test's own, each a host of its own (a network namespace with a veth pair to
a bridge of the test's own; names, data and one Erlang cookie of their own; the machine's RabbitMQ is not
touched), are started and joined; every service but the portal runs as its own process against them, with
AMQP_URI listing every node (kombu's failover list). While companies keep submitting reports, the node
that leads the busiest queues is stopped, later started again; then the node leading them by then is
stopped and started again; then the node leading them by then is cut off from the other two (a
partition: it runs on, and pauses itself as the minority) and reconnected. Afterwards every report was
accepted, assessed and counted exactly once, every notice the stream causes (receipts, outcomes, the
secretariat's alerts, "now compliant", extensions: `stream_notice_faults`) is there once and none it
should not, the proof agrees, nothing is parked but a poison message sent at the start (by each of its
consumers, on the cluster's quorum queues), and the cluster is whole. For each loss the test prints how long the
platform took to carry on (until a report submitted after the loss was assessed and noticed) and the
longest wait for a submission's answer meanwhile.

Bounded for CI (one and a half to two and a half minutes: `CLUSTER_REPORTS`, at least 150 reports, the
stream going on until the losses are over, and one round of losses, `CLUSTER_ROUNDS`); the longer run is
the same test:
`CLUSTER_REPORTS=2000 CLUSTER_ROUNDS=4 scripts/test tests/e2e/test_cluster.py -s`."""
import os
import subprocess
import time
from collections import Counter

import pytest

from tests.support import (TRUSTONE, Platform, RabbitCluster, ReportStream, SharedEngine, assert_each_report_once,
                           publish_raw, register_company, wait_until)

pytestmark = pytest.mark.e2e
REPORTS = int(os.environ.get("CLUSTER_REPORTS", "150"))
ROUNDS = int(os.environ.get("CLUSTER_ROUNDS", "1"))
HEALING_SECONDS = 45  # a node paused as the minority rejoins within seconds of the partition's end, or not at all
SERVICES = ("submission", "scoring", "notification", "reporting", "complaints")  # all but the portal (a client)
POISONED = ("notification", "reporting", "complaints")  # the consumers of company_registered
# the queues a stream of reports keeps busiest: its node is the one to lose
BUSIEST = ("evt-submission-report_submitted--scoring.", "evt-scoring-report_scored--notification.",
           "evt-scoring-report_scored--reporting.", "evt-submission-report_submitted--notification.")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    assert (RabbitCluster.SBIN / "rabbitmq-server").exists(), "Debian's rabbitmq-server runs the cluster's nodes"
    assert os.geteuid() == 0, "the nodes are hosts of their own (network namespaces): root makes them"
    nodes = RabbitCluster(tmp_path_factory.mktemp("rabbitmq"))
    try:
        yield nodes.start()
    finally:
        nodes.stop()


@pytest.fixture(scope="module")
def platform(cluster, processes):
    engine = SharedEngine(processes)
    platform = Platform(cluster.uri(), processes, MONGO_URI=engine.uri("cluster"), QUEUE_TYPE="quorum")
    for service in SERVICES:
        platform.start(service)
    return platform


def trustone(platform, *args: str) -> str:
    done = subprocess.run([TRUSTONE, *args], env=platform.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def busiest_leader(cluster: RabbitCluster) -> str:
    """The node that leads most of the queues a stream of reports keeps busiest."""
    leaders = Counter(queue["leader"] for queue in cluster.queues("/")
                      if queue["name"].startswith(BUSIEST) and not queue["name"].endswith((".retry", ".parked")))
    assert leaders, "the pipeline's queues are declared"
    return leaders.most_common(1)[0][0]


def carried_on(stream: ReportStream, node: str, since: float) -> None:
    """Waits until a report submitted after `since` was assessed and its outcome noticed."""
    def first_after():
        after = [each for each in stream.accepted if each[3] > since]
        return after and stream.through(after[0])
    wait_until(first_after, f"a report submitted after {node} was lost to be assessed and noticed", timeout=90,
               interval=0.1)


def lose(cluster: RabbitCluster, stream: ReportStream, node: str) -> dict:
    """Stops `node` while reports flow; returns how long the platform took to carry on: from the stop
    until a report submitted after the node was down had been assessed and its outcome noticed (and with
    it every report before it in those queues)."""
    stream.longest_wait = 0.0
    lost_at = time.monotonic()
    cluster.stop_node(node)
    down_at = time.monotonic()
    carried_on(stream, node, down_at)
    return {"stopped": node, "stopping took s": round(down_at - lost_at, 1),
            "carried on after s": round(time.monotonic() - lost_at, 1),
            "longest answer to a submission s": round(stream.longest_wait, 2)}


def partition(cluster: RabbitCluster, stream: ReportStream, node: str) -> dict:
    """Cuts `node` off from the other two while reports flow (it runs on, and this machine still reaches
    it); returns how long the platform took to carry on, then heals the partition and waits for the node to
    serve again."""
    stream.longest_wait = 0.0
    cut_at = time.monotonic()
    cluster.cut_off(node)
    carried_on(stream, node, cut_at)
    measured = {"cut off": node, "carried on after s": round(time.monotonic() - cut_at, 1),
                "longest answer to a submission s": round(stream.longest_wait, 2)}
    mark = len(stream.accepted)
    wait_until(lambda: len(stream.accepted) >= mark + 20 or stream.refused, "reports while it is cut off",
               timeout=60)
    healed_at = time.monotonic()
    cluster.reconnect(node)
    try:
        cluster.await_node(node, timeout=HEALING_SECONDS)
    except RuntimeError:
        # RabbitMQ's own limit, not the platform's: a node paused as the minority does not always rejoin
        # when the network comes back (rabbitmq-server#17319); its documentation has the operator restart it
        cluster.restart_node(node)
        measured["restarted, as it did not rejoin by itself"] = True
    measured["serving again after the partition ended, s"] = round(time.monotonic() - healed_at, 1)
    return measured


def test_losing_nodes_of_a_rabbitmq_cluster_mid_stream_loses_nothing_and_counts_nothing_twice(cluster, platform):
    started = time.monotonic()
    kinds = {queue["name"]: queue["type"] for queue in cluster.queues("/")}
    assert kinds["rpc-submission"] == "quorum"
    assert all(kinds[name] == "quorum" for name in kinds if name.startswith(BUSIEST)), kinds
    publish_raw(platform.amqp_uri, "submission.events", "company_registered", b"\x00 not json")  # poison
    tokens = [register_company(platform.url("submission"), name=f"Cluster {number} B.V.")["token"]
              for number in range(30)]
    stream = ReportStream(platform, tokens, REPORTS).start()
    losses = []
    try:
        for _ in range(ROUNDS):
            mark = len(stream.accepted)
            wait_until(lambda: len(stream.accepted) >= mark + 40 or stream.refused, "reports on their way")
            first = busiest_leader(cluster)
            losses.append(lose(cluster, stream, first))
            mark = len(stream.accepted)
            wait_until(lambda: len(stream.accepted) >= mark + 20 or stream.refused, "reports while it is down",
                       timeout=60)
            back_at = time.monotonic()
            cluster.start_node(first)
            losses[-1]["started again in s"] = round(time.monotonic() - back_at, 1)
            second = busiest_leader(cluster)
            if second == first:  # it leads nothing yet: the other node that does
                second = next(node for node in cluster.running if node != first)
            losses.append(lose(cluster, stream, second))
            cluster.start_node(second)
            losses.append(partition(cluster, stream, busiest_leader(cluster)))
    finally:
        stream.stop.set()
    stream.finish()
    checked = assert_each_report_once(platform, stream.accepted)
    print(f"\nnotices checked, each once where it should be: {dict(checked)}")
    assert checked["now_compliant"], "the stream turns companies compliant: its notices were checked"
    listing = trustone(platform, "parked", "list")
    parked = [line for line in listing.splitlines() if " after 1 attempt(s) " in line]
    assert listing.endswith(f"\n{len(POISONED)} parked message(s)\n") and len(parked) == len(POISONED) and all(
        " undecodable " in line for line in parked), "only the poison, parked by each consumer on quorum queues"
    trustone(platform, "parked", "discard", "--all")
    assert trustone(platform, "parked", "list").startswith("0 parked message(s)")
    assert sorted(cluster.running_nodes(cluster.nodes[0])) == sorted(cluster.nodes), "the cluster whole again"
    print(f"\n{len(stream.accepted)} reports from {len(tokens)} companies over a three-node cluster, "
          f"{time.monotonic() - started:.0f} s with the losses:")
    for loss in losses:
        print("  " + ", ".join(f"{key}: {value}" for key, value in loss.items()))
