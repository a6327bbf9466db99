"""Nothing lives on one web node only.

Two web nodes (gunicorn, ``config.settings.production``) behind nginx and one Celery worker,
started by deploy/cluster.py exactly as ``scripts/cluster`` starts them (nginx's configuration
and the units' command lines from deploy/), on this test's database, the suite's S3 server and
Redis db 9. One reader's requests go to the nodes directly, in turn, carrying what nginx would
add (Host, X-Forwarded-Proto, X-Forwarded-For): whatever one node wrote, the other must see.
Then a node is killed under nginx, and readers must not notice.
"""

from __future__ import annotations

import base64
import itertools
import random
import re
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import pytest
import redis
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from bench._setup import wav_file
from deploy.cluster import NGINX, Cluster, Layout
from tests.services import RUN_ID, _database_url, free_port, wait_for

# Commits (the nodes are other processes): the second phase of scripts/test.
# Committed rows, as every test in the second phase: the web nodes are other processes. With
# serialized_rollback the data migrations made are put back afterwards, as the next tests expect.
pytestmark = [
    pytest.mark.transactional,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REDIS = "redis://127.0.0.1:6379/9"
PASSWORD = "a-long-cluster-password"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHUNK = 5 * 1024 * 1024
# Readers' addresses, this run's own: rate-limit counters are kept a while in Redis.
ADDRESS = f"10.{random.randint(0, 255)}"


@pytest.fixture
def cluster(s3_endpoint) -> Cluster:
    if not Path(NGINX).exists():
        pytest.fail(f"{NGINX} is missing: scripts/setup test installs Debian's nginx")
    name = f"cl-test-{RUN_ID}"
    layout = Layout(
        # Kept between runs so that collectstatic only copies what changed.
        var_dir=str(Path(__file__).resolve().parent.parent / "var" / "cluster-test"),
        database_url=_database_url(),
        redis_url=REDIS,
        name=name,
        https_port=free_port(),
        http_port=free_port(),
        web_ports=[free_port(), free_port()],
        web_workers=1,
        web_threads=4,
        workers=["1"],
        worker_concurrency=1,
        beat=False,
        printer_ports=[],
        s3_endpoint=s3_endpoint,
        settings={"API_THROTTLE_ANON": "4/min", "AXES_FAILURE_LIMIT": "3"},
    )
    running = Cluster(layout)
    running.down()  # what an interrupted earlier run may have left running
    try:
        running.up(migrate=False, seed=False, printers=False)
        yield running
    finally:
        running.down()
        client = redis.Redis.from_url(REDIS)
        for pattern in (f"*{name}*", f"*{ADDRESS}.*"):
            for key in client.scan_iter(pattern):
                client.delete(key)


class Reader:
    """One reader's browser whose requests reach the web nodes directly, in turn (or on the
    node named), with the headers nginx adds. Its cookies are kept here: they are Secure, and
    the nodes speak plain HTTP behind the proxy."""

    def __init__(self, cluster: Cluster, address: str) -> None:
        self.ports = cluster.layout.web_nodes()
        self.turn = itertools.cycle(self.ports)
        self.host = f"127.0.0.1:{cluster.layout.https_port}"
        self.address = address
        self.cookies: dict[str, str] = {}
        self.served_by: list[str] = []

    def request(self, method: str, path: str, *, node: str = "", headers=None, **kwargs):
        node = node or next(self.turn)
        sent = {
            "Host": self.host,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            "Referer": f"https://{self.host}/",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **(headers or {}),
        }
        response = httpx.request(method, f"http://127.0.0.1:{self.ports[node]}{path}",
                                 headers=sent, timeout=30, **kwargs)  # fmt: skip
        for header in response.headers.get_list("set-cookie"):
            for key, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = morsel.value
        self.served_by.append(node)
        return response

    def token(self, node: str = "") -> str:
        page = self.request("GET", "/accounts/login/", node=node)
        return TOKEN.search(page.text).group(1)

    def sign_in(self, email: str, password: str, *, node: str) -> httpx.Response:
        token = self.token(node=node)
        return self.request("POST", "/accounts/login/", node=node,
                            data={"login": email, "password": password,
                                  "csrfmiddlewaretoken": token})  # fmt: skip


def reader_account(email: str):
    from allauth.account.models import EmailAddress

    from accounts.models import User

    # A hash the nodes' production settings read (the test settings' fast hasher is not one).
    hasher = PBKDF2PasswordHasher()
    user = User.objects.create(email=email, password=hasher.encode(PASSWORD, hasher.salt()))
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def test_nothing_lives_on_one_node(cluster, tmp_path) -> None:
    from media.models import MediaAsset, ProcessingStatus, Upload, UploadStatus

    reader_account("reader@cluster.example")

    # Signed in through one node, signed in on the other: sessions are in PostgreSQL, and the
    # CSRF cookie one node set is good on the other (one secret key).
    reader = Reader(cluster, f"{ADDRESS}.1.1")
    token = reader.token(node="web2")
    signed_in = reader.request("POST", "/accounts/login/", node="web1",
                               data={"login": "reader@cluster.example", "password": PASSWORD,
                                     "csrfmiddlewaretoken": token})  # fmt: skip
    assert signed_in.status_code == 302, signed_in.text[:500]
    profile = reader.request("GET", "/accounts/profile/", node="web2")
    assert profile.status_code == 200
    assert "reader@cluster.example" in profile.text

    # A tus upload whose requests alternate between the nodes: the offset is in PostgreSQL, the
    # bytes in S3 (one multipart upload), so each node continues where the other stopped.
    source = tmp_path / "recording.wav"
    wav_file(source, 2 * CHUNK + 64 * 1024)
    data = source.read_bytes()
    tus = {"Tus-Resumable": "1.0.0", "X-CSRFToken": reader.cookies["csrftoken"]}
    octets = {"Content-Type": "application/offset+octet-stream"}
    created = reader.request("POST", "/files/uploads/", node="web1", headers={
        **tus, "Upload-Length": str(len(data)),
        "Upload-Metadata": "filename " + base64.b64encode(b"recording.wav").decode()})  # fmt: skip
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    offset = 0
    for node in itertools.islice(itertools.cycle(["web2", "web1"]), 3):
        chunk = data[offset : offset + CHUNK]
        headers = {**tus, **octets, "Upload-Offset": str(offset)}
        patched = reader.request("PATCH", location, node=node, content=chunk, headers=headers)
        assert patched.status_code == 204, patched.text
        offset = int(patched.headers["Upload-Offset"])
    assert offset == len(data)
    head = reader.request("HEAD", location, node="web1", headers=tus)
    assert head.headers["Upload-Offset"] == str(len(data))
    upload = Upload.objects.get(pk=location.rstrip("/").rsplit("/", 1)[-1])
    assert upload.status == UploadStatus.COMPLETE
    # ... and the worker (a third process) processes what they received.
    asset = wait_for(
        lambda: MediaAsset.objects.filter(
            original=upload.stored_file, status=ProcessingStatus.READY
        ).first(),
        timeout=60,
        message="the worker did not process the upload",
    )
    assert asset.derivatives.exists()

    # Failed sign-ins are counted across nodes (django-axes, in PostgreSQL): three wrong
    # passwords (the limit here), two on one node and one on the other, lock the account for
    # this address, and the right password is then refused on either node.
    reader_account("locked@cluster.example")
    guesser = Reader(cluster, f"{ADDRESS}.2.2")
    answers = [guesser.sign_in("locked@cluster.example", "wrong-password", node=node).status_code
               for node in ("web1", "web2", "web1")]  # fmt: skip
    assert answers[:2] == [200, 200], answers
    for node in ("web2", "web1"):
        locked = guesser.sign_in("locked@cluster.example", PASSWORD, node=node)
        assert locked.status_code == 429, locked.status_code
    # The API's per-address limit (4 a minute here) is counted in Redis: two answers from each
    # node, then the fifth request is refused, whichever node it reaches.
    visitor = Reader(cluster, f"{ADDRESS}.3.3")
    answers = [visitor.request("GET", "/api/v1/resources/").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 200, 429], answers

    # A node killed under nginx: readers' GETs keep being answered (nginx passes a request the
    # dead node did not take to the live one, and then leaves the dead node out).
    with httpx.Client(base_url=cluster.layout.site_url,
                      verify=cluster.tls_context(), timeout=30) as client:  # fmt: skip
        cookie = {"Cookie": f"sessionid={reader.cookies['sessionid']}"}
        assert client.get("/healthz").status_code == 200
        cluster.kill("web2")
        answers = [client.get(path).status_code for path in ["/booking/", "/accounts/login/"] * 5]
        answers.append(client.get("/accounts/profile/", headers=cookie).status_code)
        assert answers == [200] * 11, answers
    # nginx's log shows it: a request tried on web2 (refused) and answered by web1.
    web1, web2 = (f"127.0.0.1:{port}" for port in cluster.layout.web_ports)
    assert f"\t{web2}, {web1}\t" in cluster.layout.access_log.read_text()
