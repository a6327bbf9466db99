"""WeChat (weixin) sign-in, configured from the environment, against a stand-in of WeChat's OAuth
server that the test starts on a local port (WeChat itself is unreachable from here).

The stand-in speaks the three calls allauth's weixin provider makes: the authorize page
(which redirects back with a code), ``/sns/oauth2/access_token`` and ``/sns/userinfo``.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.core import mail

from accounts.models import User

pytestmark = pytest.mark.django_db

APP_ID = "wx-test-app-id"
SECRET = "wx-test-secret"
OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"


class StandIn(BaseHTTPRequestHandler):
    """WeChat's side of the OAuth dance, as its documentation describes it."""

    codes: dict[str, str] = {}

    def log_message(self, *args) -> None:
        pass

    def _json(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        # allauth asks for the access token by POST with a form body; WeChat documents GET.
        length = int(self.headers.get("Content-Length") or 0)
        self.do_GET(body=self.rfile.read(length).decode())

    def do_GET(self, body: str = "") -> None:
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        query.update({key: values[0] for key, values in parse_qs(body).items()})
        if url.path == "/connect/qrconnect":
            # The reader scanned the QR code and agreed: back to the site with a code.
            assert query["appid"] == APP_ID and query["response_type"] == "code"
            self.codes["the-code"] = OPENID
            back = (
                query["redirect_uri"]
                + "?"
                + urlencode({"code": "the-code", "state": query["state"]})
            )
            self.send_response(302)
            self.send_header("Location", back)
            self.end_headers()
        elif url.path == "/sns/oauth2/access_token":
            if query.get("secret") != SECRET or query.get("code") not in self.codes:
                self._json({"errcode": 40029, "errmsg": "invalid code"})
                return
            openid = self.codes.pop(query["code"])  # a code is good once
            self._json(
                {
                    "access_token": "at-1",
                    "expires_in": 7200,
                    "openid": openid,
                    "scope": "snsapi_login",
                }
            )
        elif url.path == "/sns/userinfo":
            assert query["access_token"] == "at-1"
            self._json(
                {
                    "openid": query["openid"],
                    "nickname": "辽海读者",
                    "sex": 0,
                    "headimgurl": "",
                    "unionid": "union-1",
                }
            )
        else:
            self.send_response(404)
            self.end_headers()


@pytest.fixture
def wechat(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    settings.SOCIALACCOUNT_PROVIDERS = {
        "weixin": {
            "APPS": [{"client_id": APP_ID, "secret": SECRET}],
            "SCOPE": ["snsapi_login"],
            "AUTHORIZE_URL": f"{base}/connect/qrconnect",
        }
    }
    settings.WEIXIN_API_STAND_IN = base
    yield base
    server.shutdown()


def _through_wechat(client) -> object:
    """Start at the site's WeChat button, pass the stand-in's authorize page, come back."""
    start = client.post("/accounts/weixin/login/")
    assert start.status_code == 302, start.content
    authorize = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert authorize.status_code == 302
    back = urlsplit(authorize.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def test_a_reader_signs_up_through_wechat_and_still_verifies_an_address(client, wechat):
    arrived = _through_wechat(client)
    assert arrived.status_code == 302 and arrived["Location"] == "/accounts/3rdparty/signup/"
    form = client.get(arrived["Location"])
    page = form.content.decode()
    assert form.status_code == 200 and "您已通过微信确认身份" in page and "testserver" not in page
    sign_in_page = client.get("/accounts/login/").content.decode()
    assert "微信" in sign_in_page and "Weixin" not in sign_in_page
    done = client.post(arrived["Location"], {"email": "wx-reader@example.org"})
    assert done.status_code == 302, done.content.decode()[:2000]
    reader = User.objects.get(email="wx-reader@example.org")
    assert SocialAccount.objects.get(user=reader).uid == OPENID
    assert not EmailAddress.objects.get(user=reader).verified
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["wx-reader@example.org"]


def test_a_known_wechat_reader_is_signed_in_on_return(client, wechat):
    first = _through_wechat(client)
    client.post(first["Location"], {"email": "wx-again@example.org"})
    EmailAddress.objects.filter(email="wx-again@example.org").update(verified=True)
    again = type(client)()
    back = _through_wechat(again)
    assert back.status_code == 302
    assert again.session["_auth_user_id"] == str(User.objects.get(email="wx-again@example.org").pk)


def test_a_forged_callback_signs_nobody_in(client, wechat):
    client.post("/accounts/weixin/login/")
    forged = client.get("/accounts/weixin/login/callback/?code=not-issued&state=not-ours")
    assert forged.status_code == 401  # allauth's "sign-in failed" page
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()


def test_without_an_app_id_there_is_no_wechat_button(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    assert client.post("/accounts/weixin/login/").status_code == 404
