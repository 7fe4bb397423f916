// A real OpenID provider, panva's oidc-provider (OpenID Certified), and a
// small resource server that accepts its access tokens, for Herald's tests.
// Both listen on 127.0.0.1 only, on ports of the system's choosing, and the
// first line printed says where:
//
//   {"issuer":"http://127.0.0.1:P","events":"http://127.0.0.1:Q/events"}
//
// The provider is configured as a company's might be for a native app:
// one public client `herald` (no secret, so PKCE is required), loopback
// redirects on any port (RFC 8252), the device grant (RFC 8628), refresh
// tokens for `offline_access`, rotated on use, and revocation. Its login and
// consent pages are oidc-provider's own development pages: any user name
// signs in. Access tokens live `--ttl` seconds.
//
// The resource server's `/events` is an event stream of the counter it keeps
// (an event every `--every` ms: `id: N`, `data: {"id":N,"name":"event N"}`),
// resumed after `Last-Event-ID`. It asks the provider whether each request's
// bearer token is live, and answers 401 if not; a stream it serves ends when
// its token expires, as a gateway cuts one. `POST /revoke-access` revokes
// every access token it has seen (the provider destroys them), so the next
// request with one is refused mid-stream: the client must refresh.
// `GET /issued` lists every access and refresh token the provider issued.
//
// Usage: node provider.mjs [--ttl SECONDS] [--every MS]

import http from "node:http";
import { parseArgs } from "node:util";
import Provider from "oidc-provider";

const { values } = parseArgs({
  options: { ttl: { type: "string", default: "5" }, every: { type: "string", default: "100" } },
});
const ttl = Number(values.ttl);
const every = Number(values.every);

/** A server on 127.0.0.1 with a port of the system's choosing; its port. */
function listen(server) {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
}

const providerServer = http.createServer();
const providerPort = await listen(providerServer);
const issuer = `http://127.0.0.1:${providerPort}`;

// oidc-provider's storage, in memory as its own development adapter keeps
// it, but open to the tests: `GET /issued` on the resource server lists every
// access and refresh token issued, for a test to check that none of them
// was ever written to a file.
const stored = new Map();
class Adapter {
  constructor(model) {
    this.model = model;
  }
  key(id) {
    return `${this.model}:${id}`;
  }
  async upsert(id, payload, expiresIn) {
    const expires = expiresIn ? Date.now() + expiresIn * 1000 : Infinity;
    stored.set(this.key(id), { payload, expires });
  }
  async find(id) {
    const found = stored.get(this.key(id));
    return found && found.expires > Date.now() ? found.payload : undefined;
  }
  async findByUserCode(userCode) {
    for (const [key, { payload }] of stored) {
      if (key.startsWith(`${this.model}:`) && payload.userCode === userCode) return this.find(key.slice(this.model.length + 1));
    }
    return undefined;
  }
  async findByUid(uid) {
    for (const [key, { payload }] of stored) {
      if (key.startsWith(`${this.model}:`) && payload.uid === uid) return this.find(key.slice(this.model.length + 1));
    }
    return undefined;
  }
  async consume(id) {
    const found = stored.get(this.key(id));
    if (found) found.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) {
    stored.delete(this.key(id));
  }
  async revokeByGrantId(grantId) {
    for (const [key, { payload }] of stored) if (payload.grantId === grantId) stored.delete(key);
  }
}
/** Every token ever issued, kept after it is destroyed. */
const issued = { AccessToken: new Set(), RefreshToken: new Set() };
const upsert = Adapter.prototype.upsert;
Adapter.prototype.upsert = async function (id, payload, expiresIn) {
  issued[this.model]?.add(id);
  return upsert.call(this, id, payload, expiresIn);
};

const provider = new Provider(issuer, {
  adapter: Adapter,
  clients: [
    {
      client_id: "herald",
      application_type: "native",
      token_endpoint_auth_method: "none",
      redirect_uris: ["http://127.0.0.1/callback"],
      grant_types: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
      response_types: ["code"],
    },
  ],
  scopes: ["openid", "offline_access", "profile", "tasks"],
  claims: { openid: ["sub"], profile: ["name"] },
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    revocation: { enabled: true },
  },
  ttl: { AccessToken: ttl, IdToken: 3600, RefreshToken: 86400, DeviceCode: 600, Interaction: 600, Session: 86400, Grant: 86400 },
  async findAccount(_ctx, id) {
    return { accountId: id, async claims() { return { sub: id, name: id }; } };
  },
  // A sign-in that asks for offline access gets a refresh token, as
  // the default does; the consent page grants what was asked.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
  },
});
// Plain HTTP on loopback: the provider's cookies are not marked secure.
provider.proxy = false;
providerServer.on("request", provider.callback());

// --- the resource server ---------------------------------------------------

const started = Date.now();
/** The newest event's number: one every `every` ms since the start. */
const newest = () => Math.floor((Date.now() - started) / every);
/** Every access token value seen, for /revoke-access. */
const seen = new Set();
/** The streams open now, to end when their tokens are revoked. */
const streams = new Set();

async function liveToken(req) {
  const header = req.headers.authorization ?? "";
  const value = header.startsWith("Bearer ") ? header.slice(7) : null;
  if (value === null) return null;
  const token = await provider.AccessToken.find(value);
  if (!token || token.isExpired) return null;
  seen.add(value);
  return { value, token };
}

function event(res, n) {
  res.write(`id: ${n}\ndata: ${JSON.stringify({ id: n, name: `event ${n}` })}\n\n`);
}

async function events(req, res) {
  const live = await liveToken(req);
  if (live === null) {
    res.writeHead(401, { "www-authenticate": 'Bearer error="invalid_token"', "content-type": "text/plain" });
    res.end("the access token is missing, expired or revoked\n");
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
  res.write("retry: 100\n\n");
  let sent = Number(req.headers["last-event-id"] ?? newest());
  if (!Number.isFinite(sent)) sent = newest();
  const stream = { res, value: live.value };
  streams.add(stream);
  const tick = setInterval(() => {
    while (sent < newest()) event(res, ++sent);
  }, Math.max(10, Math.floor(every / 2)));
  const end = () => {
    clearInterval(tick);
    clearTimeout(expiry);
    streams.delete(stream);
    res.end();
  };
  // As a gateway does, the stream ends when its token expires.
  const expiry = setTimeout(end, Math.max(0, live.token.exp * 1000 - Date.now()));
  stream.end = end;
  req.on("close", end);
}

async function revokeAccess(res) {
  let revoked = 0;
  for (const value of seen) {
    const token = await provider.AccessToken.find(value);
    if (token) {
      await token.destroy();
      revoked += 1;
    }
  }
  seen.clear();
  for (const stream of [...streams]) stream.end();
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ revoked }));
}

const resource = http.createServer((req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  const fail = (e) => {
    res.writeHead(500);
    res.end(String(e));
  };
  if (req.method === "GET" && path === "/events") return events(req, res).catch(fail);
  if (req.method === "POST" && path === "/revoke-access") return revokeAccess(res).catch(fail);
  if (req.method === "GET" && path === "/issued") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify({ accessTokens: [...issued.AccessToken], refreshTokens: [...issued.RefreshToken] }));
  }
  if (req.method === "GET" && path === "/newest") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify({ newest: newest() }));
  }
  res.writeHead(404);
  res.end();
});
const resourcePort = await listen(resource);

console.log(JSON.stringify({ issuer, events: `http://127.0.0.1:${resourcePort}/events` }));
