"""Microsoft's side of a Teams bot, on 127.0.0.1 over https, in its own thread.

- OpenID metadata + JWKS (ToBotFromChannelOpenIdMetadataUrl) with a self-made RSA key whose
  JWK carries `"endorsements": ["msteams"]`, and `mint()` to sign connector tokens with PyJWT;
- the login service (ToChannelFromBotLoginUrl): tenant discovery + client-credentials token;
- the Bot Connector (the activities' serviceUrl), per the v3 swagger: it records what the bot
  sends and can answer an error status on demand.
It runs on its own event loop so that a blocking call in the bot would show up as a timeout
instead of silently passing.
"""
from __future__ import annotations

import asyncio
import itertools
import threading
import time
from dataclasses import dataclass, field

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.adapters.teams.teams_pki import Pki

CHANNEL_ISSUER = "https://api.botframework.com"
KID = "kasuhara-test-key"
TOKEN_REUSE_S = 300  # how long channel_token() hands out the same token (they are valid for an hour)


@dataclass
class Recorded:
    method: str  # POST (new message or reply), PUT (update), CREATE (POST /v3/conversations)
    conversation_id: str
    activity_id: str
    body: dict
    authorization: str
    answered_id: str = ""  # the id the connector gave the new message (or conversation)

    @property
    def card(self) -> dict:
        """The first Adaptive Card of the recorded activity."""
        return self.body["attachments"][0]["content"]


@dataclass
class _Failure:
    method: str
    status: int
    retry_after: str | None
    times: int


@dataclass
class StandIn:
    pki: Pki
    app_id: str
    password: str
    signing_key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    recorded: list[Recorded] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    issued: set[str] = field(default_factory=set)
    rotated: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)  # keys published later
    base_url: str = ""
    removed_from: set[str] = field(default_factory=set)  # conversations the bot was removed from

    def __post_init__(self):
        self._failures: list[_Failure] = []
        self._tokens: dict[str, tuple[str, float]] = {}  # service URL -> (channel token, minted at)
        self._lock = threading.Lock()
        self._ids = itertools.count(1767765488000)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="standin", daemon=True)

    # -- what the tests configure -----------------------------------------------------------
    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    @property
    def login_url(self) -> str:
        return f"{self.base_url}/botframework.com"

    @property
    def service_url(self) -> str:
        return f"{self.base_url}/amer/"

    def env(self) -> dict[str, str]:
        return {"ToBotFromChannelOpenIdMetadataUrl": self.metadata_url, "ToChannelFromBotLoginUrl": self.login_url,
                "SSL_CERT_FILE": str(self.pki.ca_file)}

    def mint(self, *, aud: str | None = None, iss: str = CHANNEL_ISSUER, service_url: str | None = None,
             lifetime: int = 3600, key: rsa.RSAPrivateKey | None = None, kid: str = KID) -> str:
        """Sign a connector -> bot token the way the Bot Framework does (RS256, kid header)."""
        now = int(time.time())
        claims = {"iss": iss, "aud": aud or self.app_id, "serviceurl": service_url or self.service_url,
                  "nbf": now - 60, "exp": now + lifetime, "iat": now - 60}
        return jwt.encode(claims, key or self.signing_key, algorithm="RS256", headers={"kid": kid})

    def channel_token(self, service_url: str) -> str:
        """The connector's current token for `service_url`, reused as the Bot Connector reuses its tokens.

        The Bot Connector sends one token, valid for an hour, with many activities. It is kept
        until reset() (every test starts with a fresh one) or until it is five minutes old.
        """
        now = time.time()
        with self._lock:
            cached = self._tokens.get(service_url)
            if cached is not None and now - cached[1] < TOKEN_REUSE_S:
                return cached[0]
        token = self.mint(service_url=service_url)
        with self._lock:
            self._tokens[service_url] = (token, now)
        return token

    def rotate(self, kid: str) -> rsa.RSAPrivateKey:
        """Publish one more signing key (as Microsoft does before switching to it)."""
        key = rsa.generate_private_key(65537, 2048)
        with self._lock:
            self.rotated[kid] = key
        return key

    def fail_next(self, status: int, *, method: str = "POST", retry_after: str | None = None, times: int = 1):
        with self._lock:
            self._failures.append(_Failure(method, status, retry_after, times))

    def reset(self) -> None:
        with self._lock:
            self.recorded.clear()
            self._failures.clear()
            self._tokens.clear()
            self.rotated.clear()
            self.removed_from.clear()

    def sent(self, method: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self.recorded if method is None or r.method == method]

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> "StandIn":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._openid)
        app.router.add_get("/v1/.well-known/keys", self._keys)
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._tenant_discovery)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_post("/amer/v3/conversations", self._create_conversation)
        app.router.add_post("/amer/v3/conversations/{conversation}/activities", self._activity)
        app.router.add_post("/amer/v3/conversations/{conversation}/activities/{activity}", self._activity)
        app.router.add_put("/amer/v3/conversations/{conversation}/activities/{activity}", self._activity)
        app.router.add_get("/amer/v3/conversations/{conversation}/members", self._members)
        self._runner = web.AppRunner(app, access_log=None)  # Microsoft's side: its log is not the bot's
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.pki.server_context())
        await site.start()
        self.base_url = f"https://127.0.0.1:{self._runner.addresses[0][1]}"

    def _count(self, name: str) -> None:
        with self._lock:
            self.counts[name] = self.counts.get(name, 0) + 1

    # -- OpenID + login ---------------------------------------------------------------------
    async def _openid(self, request: web.Request) -> web.Response:
        self._count("openid")
        return web.json_response({"issuer": CHANNEL_ISSUER, "authorization_endpoint": "https://invalid.botframework.com",
                                  "jwks_uri": f"{self.base_url}/v1/.well-known/keys",
                                  "id_token_signing_alg_values_supported": ["RS256"],
                                  "token_endpoint_auth_methods_supported": ["private_key_jwt"]})

    async def _keys(self, request: web.Request) -> web.Response:
        self._count("jwks")
        with self._lock:
            keys = {KID: self.signing_key, **self.rotated}
        return web.json_response({"keys": [
            {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "use": "sig",
             "endorsements": ["msteams"]} for kid, key in keys.items()]})

    async def _tenant_discovery(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        return web.json_response({"issuer": f"{self.base_url}/{tenant}/v2.0",
                                  "authorization_endpoint": f"{self.base_url}/{tenant}/oauth2/v2.0/authorize",
                                  "token_endpoint": f"{self.base_url}/{tenant}/oauth2/v2.0/token"})

    async def _token(self, request: web.Request) -> web.Response:
        self._count("token")
        form = await request.post()
        if form.get("grant_type") != "client_credentials" or form.get("client_id") != self.app_id \
                or form.get("client_secret") != self.password:
            return web.json_response({"error": "invalid_client", "error_description": "bad credentials"}, status=401)
        token = f"connector-token-{next(self._ids)}"
        with self._lock:
            self.issued.add(token)
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                                  "access_token": token})

    # -- Bot Connector ----------------------------------------------------------------------
    async def _create_conversation(self, request: web.Request) -> web.Response:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        body = await request.json()
        conversation = f"a:personal-{next(self._ids)}"
        self._record("CREATE", body, "", "", request, conversation)
        return web.json_response({"id": conversation, "serviceUrl": self.service_url}, status=201)

    async def _activity(self, request: web.Request) -> web.Response:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        body = await request.json()
        activity_id = request.match_info.get("activity", "")
        new_id = activity_id if request.method == "PUT" else str(next(self._ids))
        self._record(request.method, body, request.match_info["conversation"], activity_id, request, new_id)
        return web.json_response({"id": new_id}, status=200 if request.method == "PUT" else 201)

    async def _members(self, request: web.Request) -> web.Response:
        """GetConversationMembers: the roster, or 403 once the bot was removed from the conversation."""
        refused = self._refusal(request)
        if refused is not None:
            return refused
        with self._lock:
            gone = request.match_info["conversation"] in self.removed_from
        if gone:
            return web.json_response({"error": {"code": "BotNotInConversationRoster",
                                                "message": "The bot is not part of the conversation roster."}},
                                     status=403)
        return web.json_response([{"id": f"28:{self.app_id}", "name": "kasuhara"},
                                  {"id": "29:1member", "name": "Rido", "aadObjectId": "b15a9416-0ad3-4172-9210-7beb711d3f70"}])

    def _refusal(self, request: web.Request) -> web.Response | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        with self._lock:
            if scheme != "Bearer" or token not in self.issued:
                return web.json_response({"error": {"code": "Unauthorized"}}, status=401)
            for failure in self._failures:
                if failure.method == request.method and failure.times > 0:
                    failure.times -= 1
                    headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                    return web.json_response({"error": {"code": f"HTTP{failure.status}"}}, status=failure.status,
                                             headers=headers)
        return None

    def _record(self, method: str, body: dict, conversation: str, activity: str, request: web.Request,
                answered: str) -> None:
        with self._lock:
            self.recorded.append(Recorded(method, conversation, activity, body,
                                          request.headers.get("Authorization", ""), answered))
