"""kombu's filesystem transport (the broker of `make run`) with messages written atomically.

kombu creates a message's file and then writes into it, while the worker moves and reads any
file with the queue's name: under load (a page view is a message) it can read a file that is
still empty, and the worker stops on the JSON error. Here a message is written under a name the
worker never picks up, then renamed to its real name in one step (``os.replace``).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from time import monotonic

from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # Leading "~": another name for ``_get`` (which matches "<stamp>.<queue>.msg").
        partial = os.path.join(self.data_folder_out, f"~{uuid.uuid4().hex}.partial")
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, final)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.remove(partial)
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from error


class Transport(filesystem.Transport):
    Channel = Channel


def install() -> None:
    """Make ``filesystem://`` mean this transport in every process that imports Celery."""
    TRANSPORT_ALIASES["filesystem"] = "core.broker:Transport"
