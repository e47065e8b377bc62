"""Resume files in an S3-compatible bucket (a real moto server on loopback, as test_object_store.py):
the parsed file goes to the bucket under the company's prefix, is downloaded from it, and is deleted
from it with the participant; with the store down the draft still comes back (without a file id) and a
download is a 503. And /readyz checks the bucket: ok when it answers, failing (naming the check) when it
does not or the bucket is missing."""

from __future__ import annotations

import asyncio

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from config.settings import Settings
from engine.observability.bucket_probe import BucketProbe
from engine.observability.readiness import ReadinessProbe
from tests.engine import field_error
from tests.engine.test_object_store import BUCKET, moto_store, s3, store_settings
from tests.helpers import ApiClients, participant_body
from tests.ports import free_port
from tests.resume_files import minimal_pdf

__all__ = ["s3"]  # the fixture, imported for this module's tests

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PDF = minimal_pdf(["Jane Smith", "jane.smith@example.com"])
SLOW_MACHINE_S = 15.0  # readiness timeouts where a test checks what a failure says, not how soon


@pytest.fixture
def settings(settings: Settings, s3: ThreadedMotoServer) -> Settings:
    return settings.model_copy(update={"object_store": moto_store(s3)})


def bucket_keys(server: ThreadedMotoServer) -> list[str]:
    host, port = server.get_host_and_port()
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


async def parse_one(client: httpx.AsyncClient) -> dict[str, object]:
    response = await client.post("/v1/resumes/parse", files=[("files", ("jane.pdf", PDF, "application/pdf"))])
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()["results"][0]
    assert result["status"] == "parsed"
    return result


async def test_resume_kept_in_the_bucket_served_from_it_and_deleted_with_the_participant(
    api: ApiClients, settings: Settings, s3: ThreadedMotoServer
) -> None:
    acme = await api.client("acme")
    result = await parse_one(acme)
    file_id = result["resume_file_id"]
    # moto keeps its buckets per process, not per server: other tests' objects may be there too.
    [key] = [k for k in bucket_keys(s3) if k.endswith(f"/{file_id}")]
    assert key.startswith("resumes/")
    assert not (settings.data_dir / "resumes").exists()  # nothing on local disk

    person = (await acme.post("/v1/participants", json=participant_body(resume_file_id=file_id))).json()
    download = await acme.get(f"/v1/participants/{person['id']}/resume")
    assert download.status_code == 200, download.text
    assert download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment;")

    assert (await acme.delete(f"/v1/participants/{person['id']}")).status_code == 204
    assert key not in bucket_keys(s3)


async def test_store_down_parse_still_drafts_and_download_is_503(
    api: ApiClients, s3: ThreadedMotoServer
) -> None:
    acme = await api.client("acme")
    kept = await parse_one(acme)
    person = (
        await acme.post("/v1/participants", json=participant_body(resume_file_id=kept["resume_file_id"]))
    ).json()
    await asyncio.to_thread(s3.stop)

    down = await parse_one(acme)
    assert down["draft"] is not None
    assert down["resume_file_id"] is None
    response = await acme.get(f"/v1/participants/{person['id']}/resume")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    # Deleting still works; the file is left for a later sweep rather than failing the request.
    assert (await acme.delete(f"/v1/participants/{person['id']}")).status_code == 204
    refused = await acme.post("/v1/participants", json=participant_body(resume_file_id="0" * 36))
    assert field_error(refused)["path"] == "resume_file_id"


async def test_readyz_checks_the_bucket(api: ApiClients, s3: ThreadedMotoServer) -> None:
    raw = api.raw_client()
    ready = await raw.get("/readyz")
    assert ready.status_code == 200, ready.text
    check = ready.json()["checks"]["object_store"]
    assert check["status"] == "ok"
    assert check["detail"].startswith("answered HEAD bucket")

    await asyncio.to_thread(s3.stop)
    down = await raw.get("/readyz")
    assert down.status_code == 503, down.text
    body = down.json()
    assert body["failing"] == ["object_store"]
    assert body["checks"]["object_store"]["status"] == "failing"
    assert body["checks"]["database"]["status"] == "ok"
    _host, port = s3.get_host_and_port()
    assert f"{port}" not in down.text
    assert "test" not in body["checks"]["object_store"]["detail"]


async def test_readyz_fails_for_a_missing_bucket(
    api: ApiClients, settings: Settings, s3: ThreadedMotoServer
) -> None:
    missing = moto_store(s3).model_copy(update={"bucket": "no-such-bucket"})
    # The probe /readyz keeps on the app, replaced by one for another bucket or endpoint. This test is
    # about how each failure is reported, not how fast: generous timeouts, so that a loaded CI machine
    # does not turn a 404 into "no answer" (the boto3 client is built before the timed HEAD).
    api.app.state.readiness = ReadinessProbe(database_timeout_s=SLOW_MACHINE_S)
    api.app.state.bucket_probe = BucketProbe(missing, timeout_s=SLOW_MACHINE_S)
    body = (await api.raw_client().get("/readyz")).json()
    assert body["failing"] == ["object_store"]
    assert "404" in body["checks"]["object_store"]["detail"]
    # Nothing listens: refused at once, reported by class.
    api.app.state.bucket_probe = BucketProbe(
        store_settings(f"http://127.0.0.1:{free_port()}"), timeout_s=SLOW_MACHINE_S
    )
    body = (await api.raw_client().get("/readyz")).json()
    assert body["failing"] == ["object_store"]
    assert body["checks"]["object_store"]["detail"].startswith("HEAD bucket failed")
    # Settings the client itself refuses (a region boto3 cannot use): said so, without the region.
    unusable = moto_store(s3).model_copy(update={"region": "no such region!"})
    api.app.state.bucket_probe = BucketProbe(unusable, timeout_s=SLOW_MACHINE_S)
    body = (await api.raw_client().get("/readyz")).json()
    assert body["failing"] == ["object_store"]
    detail = body["checks"]["object_store"]["detail"]
    assert detail.startswith("no client for the bucket"), detail
    assert "no such region" not in detail
