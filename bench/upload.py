"""Upload a 1 GB file through the tus endpoint of a real gunicorn process, then write the same
bytes straight to the S3 endpoint; print both throughputs and the web process's peak RSS.

Targets (issue 3): upload throughput at least 70 % of the direct write; RSS growth under 50 MB.
The S3 endpoint is moto's server on loopback (no MinIO can be installed here). SIZE_MB in the
environment changes the file size.
"""

import base64
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
from _setup import BASE_DIR, setup_django

SIZE = int(os.environ.get("SIZE_MB", "1024")) * 1024 * 1024
# The chunk size the site's upload page uses (MEDIA_UPLOAD_CHUNK_MB).
CHUNK = 32 * 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_wav(path: Path, size: int) -> None:
    data_size = size - 44
    header = (
        b"RIFF" + struct.pack("<I", size - 8) + b"WAVE"
        + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 2, 48000, 192000, 4, 16)
        + b"data" + struct.pack("<I", data_size)
    )  # fmt: skip
    block = os.urandom(CHUNK)
    with open(path, "wb") as handle:
        handle.write(header)
        remaining = data_size
        while remaining:
            handle.write(block[: min(CHUNK, remaining)])
            remaining -= min(CHUNK, remaining)


def main() -> None:
    from moto.server import ThreadedMotoServer

    s3_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
    moto.start()
    os.environ.update(
        S3_ENDPOINT_URL=f"http://127.0.0.1:{s3_port}",
        S3_ACCESS_KEY="bench",
        S3_SECRET_KEY="bench-secret",  # noqa: S106 - moto accepts any key
        MEDIA_QUOTA_TOTAL_MB="100000",
        MEDIA_QUOTA_UPLOADS_PER_DAY="1000",
    )
    setup_django()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User
    from media.storage import ensure_buckets

    ensure_buckets()
    user, _ = User.objects.get_or_create(email="bench@example.org")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "accounts.auth.KeptPermissionsBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()

    source = BASE_DIR / "var" / "bench" / "upload.wav"
    source.parent.mkdir(parents=True, exist_ok=True)
    if not source.exists() or source.stat().st_size != SIZE:
        make_wav(source, SIZE)

    web_port = free_port()
    web = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "--bind",
         f"127.0.0.1:{web_port}", "--workers", "1", "--threads", "2", "--timeout", "600"],
        cwd=BASE_DIR, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{web_port}"
    for _attempt in range(100):
        try:
            httpx.get(f"{base}/healthz", timeout=2)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    worker = psutil.Process(web.pid).children()[0]
    baseline = worker.memory_info().rss
    peak = [baseline]
    sampling = True

    def sample() -> None:
        while sampling:
            peak[0] = max(peak[0], worker.memory_info().rss)
            time.sleep(0.05)

    threading.Thread(target=sample, daemon=True).start()
    # The endpoint is CSRF-protected like the upload page: cookie and header carry one token.
    csrf = "benchmark" + "0" * 23
    client = httpx.Client(
        base_url=base, cookies={"sessionid": session.session_key, "csrftoken": csrf},
        timeout=600, headers={"Tus-Resumable": "1.0.0", "X-CSRFToken": csrf},
    )  # fmt: skip
    name = base64.b64encode(b"bench.wav").decode()
    started = time.perf_counter()
    created = client.post(
        "/files/uploads/",
        headers={"Upload-Length": str(SIZE), "Upload-Metadata": f"filename {name}"},
    )
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    offset = 0
    with open(source, "rb") as handle:
        while offset < SIZE:
            chunk = handle.read(CHUNK)
            headers = {
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            }
            response = client.patch(location, content=chunk, headers=headers)
            assert response.status_code == 204, response.text
            offset = int(response.headers["Upload-Offset"])
    upload_seconds = time.perf_counter() - started
    sampling = False

    from django.conf import settings
    from minio import Minio

    direct = Minio(
        endpoint=f"127.0.0.1:{s3_port}",
        access_key="bench",
        secret_key="bench-secret",  # noqa: S106 - moto accepts any key
        secure=False,
        region=settings.S3_REGION,
    )
    started = time.perf_counter()
    with open(source, "rb") as handle:
        direct.put_object(bucket_name=settings.S3_PRIVATE_BUCKET, object_name="bench/direct.wav",
                          data=handle, length=SIZE, part_size=CHUNK * 2)  # fmt: skip
    direct_seconds = time.perf_counter() - started
    web.terminate()
    web.wait()
    moto.stop()

    mb = SIZE / 1024 / 1024
    print(f"file size:                 {mb:.0f} MiB")
    print(f"upload endpoint:           {mb / upload_seconds:7.1f} MiB/s ({upload_seconds:.1f} s)")
    print(f"direct write to S3:        {mb / direct_seconds:7.1f} MiB/s ({direct_seconds:.1f} s)")
    ratio = direct_seconds / upload_seconds * 100
    print(f"upload / direct:           {ratio:6.1f} %  (target >= 70 %)")
    print(f"web process RSS baseline:  {baseline / 1024 / 1024:7.1f} MiB")
    print(f"web process RSS peak:      {peak[0] / 1024 / 1024:7.1f} MiB")
    print(f"RSS growth:                {(peak[0] - baseline) / 1024 / 1024:7.1f} MiB (target < 50)")


if __name__ == "__main__":
    main()
