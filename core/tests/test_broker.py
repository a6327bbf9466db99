"""make run's filesystem broker: a message is never seen by the worker half written."""

import json
import os

import pytest
from kombu import Connection


@pytest.fixture
def folder(tmp_path):
    return str(tmp_path)


def _connection(folder: str) -> Connection:
    return Connection(
        "filesystem://",
        transport_options={"data_folder_in": folder, "data_folder_out": folder},
    )


def test_filesystem_urls_use_the_atomic_transport(folder):
    from core.broker import Transport

    with _connection(folder) as connection:
        assert isinstance(connection.transport, Transport)


def test_a_message_appears_only_whole(folder, monkeypatch):
    seen: list[tuple[str, bytes]] = []
    real_replace = os.replace

    def watching(source, target):
        # At the moment the message gets its real name, it is complete.
        with open(source, "rb") as handle:
            seen.append((os.path.basename(target), handle.read()))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", watching)
    with _connection(folder) as connection:
        queue = connection.SimpleQueue("rush")
        queue.put({"kind": "page.viewed", "n": 1})
        ((name, body),) = seen
        assert name.endswith(".rush.msg") and json.loads(body)["body"]
        assert [f for f in os.listdir(folder) if f.endswith(".partial")] == []
        message = queue.get(timeout=2)
        assert message.payload == {"kind": "page.viewed", "n": 1}
        message.ack()
        queue.close()
