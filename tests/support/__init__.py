"""What tests share, by what it supports (test modules import from here, never from each other or from a
conftest):

- `basics`: constants and tokens, free ports, waiting on named conditions, reading metrics;
- `reports`: reports, companies and events to test with, the forms a page posts, files a complainant
  sends, the seed's figures;
- `fakes`: fakes of the ports (a settable clock, a recording publisher, scoring's RPC, members, in-memory
  repositories, channels);
- `peers`: real peers (registering through the API, the commission's chair, the portal in containers, an
  event capture on the broker, the API's contract, an SMTP server, a webhook receiver, the dashboard's
  queries);
- `processes`: the platform as processes (`nameko run` on the real broker, a link that can be cut, the
  shared engine, what the image copies, RabbitMQ nodes of a test's own as a cluster, a stream of reports
  and the checks that each was taken once);
- `browser`: Debian's Chromium driven by Playwright.

Everything is also importable from `tests.support` itself, as before the split.
"""
from tests.support.basics import *  # noqa: F401,F403
from tests.support.browser import *  # noqa: F401,F403
from tests.support.fakes import *  # noqa: F401,F403
from tests.support.peers import *  # noqa: F401,F403
from tests.support.processes import *  # noqa: F401,F403
from tests.support.reports import *  # noqa: F401,F403
