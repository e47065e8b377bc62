"""The engine killed (SIGKILL) between a change and its webhook: the event is delivered by the next
engine on the same data dir. Real processes (`interview-engine serve`), a real receiver on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.webhook_receiver import WebhookReceiver

EXE = Path(sys.executable).with_name("interview-engine")


def serve(data: Path, port: int, poll_s: float) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "IE_ASR__PRELOAD": "false",
        "IE_WEBHOOKS__ALLOW_PRIVATE": "true",
        "IE_WEBHOOKS__POLL_S": str(poll_s),
        "IE_WEBHOOKS__RETRY_SCHEDULE_S": "[0, 0.3, 0.3]",
    }
    cmd = [str(EXE), "serve", "--port", str(port), "--data-dir", str(data)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("the engine did not start")


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_an_event_survives_a_sigkill_before_its_delivery(
    tmp_path: Path, receiver: WebhookReceiver, reserve_port: Callable[[], int]
) -> None:
    data = tmp_path / "data"
    created = subprocess.run(
        [str(EXE), "api-key", "create", "--company", "acme", "--data-dir", str(data)],
        check=True,
        capture_output=True,
        text=True,
    )
    headers = {"Authorization": f"Bearer {created.stdout.strip()}"}
    port = reserve_port()
    # The dispatcher makes one pass at start-up, then sleeps for a minute: the event below waits for it.
    first = serve(data, port, poll_s=60)
    try:
        base = f"http://127.0.0.1:{port}"
        hook = httpx.post(
            f"{base}/v1/webhook-endpoints", headers=headers, json={"url": receiver.url}, timeout=10
        )
        assert hook.status_code == 201, hook.text
        time.sleep(0.5)
        person = httpx.post(
            f"{base}/v1/participants",
            headers=headers,
            json={"name": "Sam Lee", "email": "sam@example.com"},
            timeout=10,
        )
        assert person.status_code == 201, person.text
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    assert receiver.received == []

    second = serve(data, port, poll_s=0.2)
    try:
        deadline = time.monotonic() + 20
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        second.terminate()
        second.wait(30)
    (got,) = receiver.received
    event = Webhook(hook.json()["secret"]).verify(got.body, got.headers)
    assert event["type"] == "participant.created"
    assert event["data"]["participant_id"] == person.json()["id"]
