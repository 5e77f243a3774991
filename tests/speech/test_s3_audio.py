"""On S3, `s3_url` is a presigned URL of the S3 server itself (the specification's field),
downloadable with no token, and the pages may play audio from that origin."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import soundfile as sf

from studyforge.config import Settings
from tests.conftest import UserMaker, make_settings
from tests.speech.test_tts import speak

pytestmark = [pytest.mark.anyio, pytest.mark.services]


@pytest.fixture
def settings(tmp_path: Path, db_url: str, s3: Any) -> Settings:
    return make_settings(
        tmp_path / "home", db_url, s3_bucket=f"audio-{uuid.uuid4().hex[:8]}",
        s3_endpoint_url=s3.endpoint_url, s3_access_key_id=s3.access_key,
        s3_secret_access_key=s3.secret_key,
    )  # fmt: skip


async def test_s3_url_is_presigned_on_the_s3_server(
    client: httpx.AsyncClient, make_user: UserMaker, s3: Any
) -> None:
    _, headers = make_user()
    body = (await speak(client, headers, output_format="wav", voice_id="heart")).json()
    url = body["s3_url"]
    assert url.startswith(s3.endpoint_url + "/") and "X-Amz-Signature=" in url, url
    got = httpx.get(url, timeout=30)  # no token: the signature is the credential
    assert got.status_code == 200 and got.headers["content-type"] == "audio/wav"
    samples, rate = sf.read(io.BytesIO(got.content))
    assert rate == 24_000 and len(samples) / rate == pytest.approx(body["duration"], abs=0.05)
    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert httpx.get(tampered, timeout=30).status_code == 403
    again = (await client.get(f"/audio/{body['audio_id']}", headers=headers)).json()
    assert again["s3_url"].startswith(s3.endpoint_url + "/")
    assert (await client.delete(f"/audio/{body['audio_id']}", headers=headers)).status_code == 200
    assert httpx.get(url, timeout=30).status_code == 404  # the blob went with the audio


async def test_pages_may_play_audio_from_the_s3_origin(
    client: httpx.AsyncClient, make_user: UserMaker, s3: Any
) -> None:
    page = await client.get("/login", headers={"Accept": "text/html"})
    policy = dict(
        p.strip().split(" ", 1) for p in page.headers["content-security-policy"].split(";")
    )
    assert policy["media-src"] == f"'self' {s3.endpoint_url}"
    assert policy["connect-src"] == "'self'"
