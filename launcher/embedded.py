"""What kombu's in-memory transport needs to carry nameko's RPC (measured on our build machines).

1. kombu's memory transport keeps `content_type` outside `message.properties`, where nameko's RPC
   responder reads it: copy it across before the responder does.
2. It polls its queues once a second by default, so every RPC reply would wait ~1 s. The transport option
   does not reach every consumer; the class attribute does.
"""
from __future__ import annotations

from kombu.transport import memory
from nameko import rpc

POLLING_INTERVAL = 0.005  # seconds: ~100+ RPC calls/s for a few % of a core while idle
_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    memory.Transport.polling_interval = POLLING_INTERVAL
    original = rpc.Responder.send_response

    def send_response(self, result, exc_info):
        properties = self.message.properties
        if "content_type" not in properties and getattr(self.message, "content_type", None):
            properties["content_type"] = self.message.content_type
        return original(self, result, exc_info)

    rpc.Responder.send_response = send_response
    _installed = True
