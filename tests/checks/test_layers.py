"""The layers keep their promises: domain rules and use cases import no framework, and importing a
service patches nothing."""
import subprocess
import sys

import pytest

from common.vocabulary import SERVICES

PLAIN = [f"services.{name}.{module}" for name in SERVICES for module in ("domain", "usecases")] + [
    "common.vocabulary", "common.covenant", "common.identity", "common.events", "common.outbox", "common.errors",
    "common.redelivery", "common.inbound"]

# The words people read and the codes of refusals: plain too.
WORDS = ["common.i18n", "common.problems", "common.validate", "services.notification.texts", "services.portal.words"]


@pytest.mark.parametrize("module", PLAIN + WORDS)
def test_domain_rules_and_use_cases_import_no_nameko(module):
    script = f"import sys, {module}; print(sorted(name for name in sys.modules if name.split('.')[0] in " \
             "('nameko', 'eventlet', 'kombu')))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]", f"{module} pulls in {done.stdout.strip()}"


def test_importing_the_services_patches_nothing():
    script = ("import kombu.transport.memory as memory, nameko.rpc as rpc; "
              "before = (memory.Transport.polling_interval, rpc.Responder.send_response); "
              + "; ".join(f"import services.{name}.service" for name in SERVICES) + "; import eventlet.patcher; "
              "assert (memory.Transport.polling_interval, rpc.Responder.send_response) == before; "
              "assert not eventlet.patcher.is_monkey_patched('socket'); print('untouched')")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "untouched", done.stderr[-2000:]
