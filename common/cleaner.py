"""The cleaning of a file people hand in (common.files), as a service runs it: in a native thread of its
own, one file at a time per process. Cleaning a PDF of tens of thousands of pages takes seconds of CPU; run
in the worker's greenthread, it stopped the whole process (every other request, the broker's heartbeats)
for as long. In a thread, the process keeps answering (qpdf still holds the interpreter for a few tenths of
a second at a time); one at a time, the memory a photo of MAX_PIXELS takes to draw again is needed once.
"""
from __future__ import annotations

from eventlet import semaphore, tpool
from nameko.extensions import DependencyProvider

from common import files


class Cleaner(DependencyProvider):
    """A worker's `clean(content) -> bytes`: common.files.cleaned, off the event loop."""

    def setup(self):
        self.one_at_a_time = semaphore.Semaphore(1)

    def clean(self, content: bytes) -> bytes:
        with self.one_at_a_time:
            return tpool.execute(files.cleaned, content)

    def get_dependency(self, worker_ctx):
        return self.clean
