// A real OpenID Provider on loopback for vink's single sign-on tests:
// node-oidc-provider (OpenID Certified), with a plain log-in form, a few test
// accounts, dynamic client registration so each test registers its own client
// (and its own redirect address), and one test-only hook: a client registered
// with `vink_test_tamper` gets its ID token forged in the token response
// (bad signature, wrong nonce, audience or issuer, expired, `alg: none`), the
// way a compromised provider or a man in the middle would send it.
//
//   node provider.mjs [--port N] [--issuer-file FILE]
//
// Prints `issuer=http://127.0.0.1:PORT` once it answers; with --issuer-file
// it also writes the issuer there. Never for production: the accounts and
// their passwords are in this file.
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { Provider } from 'oidc-provider';
import { generateKeyPair, exportJWK, SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};

// The test accounts. `groups` carries the role groups vink maps to roles;
// `amr` says how the person logged in (vink trusts `mfa` as a second factor
// when configured to).
export const ACCOUNTS = {
  'sso-sara': { password: 'sso-password-1', name: 'Sara Single', email: 'sara@sso.example', groups: ['VINK-Sekretariat'], amr: ['pwd', 'mfa'] },
  'sso-sune': { password: 'sso-password-1', name: 'Sune Single', email: 'sune@sso.example', groups: ['VINK-Koordination'], agency: 'SSP-KBH', amr: ['pwd', 'mfa'] },
  'sso-mona': { password: 'sso-password-1', name: 'Mona Single', email: 'mona@sso.example', groups: ['VINK-Mentor'], amr: ['pwd'] },
  'sso-nils': { password: 'sso-password-1', name: 'Nils Newcomer', email: 'nils@sso.example', groups: [], amr: ['pwd', 'mfa'] },
  'sso-two': { password: 'sso-password-1', name: 'Tove Two-Hats', email: 'tove@sso.example', groups: ['VINK-Sekretariat', 'VINK-Mentor'], amr: ['pwd', 'mfa'] },
};

const port = Number(arg('--port') ?? 0);
const server = createServer();
await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'vink-test-1', alg: 'RS256', use: 'sig' };
// A key the provider does not publish, for the forged signature.
const { privateKey: strangerKey } = await generateKeyPair('RS256');

const provider = new Provider(issuer, {
  jwks: { keys: [jwk] },
  clients: [],
  cookies: { keys: ['vink-test-cookie-key-not-secret'] },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  extraClientMetadata: { properties: ['vink_test_tamper'] },
  claims: {
    openid: ['sub', 'amr'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    vink: ['groups', 'vink_agency'],
  },
  // Claims of the scopes asked for go into the ID token, as the identity
  // brokers municipalities use do.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const a = ACCOUNTS[id];
    if (!a) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          name: a.name,
          preferred_username: id,
          email: a.email,
          email_verified: true,
          groups: a.groups,
          ...(a.agency ? { vink_agency: a.agency } : {}),
        };
      },
    };
  },
});

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (uid, error = '') => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><main><h1>Test identity provider</h1>${error ? `<p role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login">
<label for="login">User name</label> <input id="login" name="login" autocomplete="username">
<label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">Log in</button></form></main></body></html>`;

async function formBody(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

// The log-in form and its answer; consent is given with the log-in (a
// first-party client, as a municipality's own systems are).
provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!m) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = page(details.uid);
    return undefined;
  }
  const form = await formBody(ctx.req);
  const login = form.get('login') ?? '';
  const a = ACCOUNTS[login];
  if (!a || a.password !== form.get('password')) {
    ctx.status = 401;
    ctx.type = 'html';
    ctx.body = page(details.uid, 'Wrong user name or password');
    return undefined;
  }
  const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
  grant.addOIDCScope(String(details.params.scope));
  const grantId = await grant.save();
  const to = await provider.interactionResult(ctx.req, ctx.res, {
    login: { accountId: login, amr: a.amr, remember: false },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
  ctx.redirect(to);
  ctx.status = 303;
  return undefined;
});

// The forgeries: the real ID token, changed after the provider made it.
provider.use(async (ctx, next) => {
  await next();
  const mode = ctx.oidc?.client?.metadata()?.vink_test_tamper;
  if (!mode || ctx.oidc?.route !== 'token' || ctx.status !== 200 || !ctx.body?.id_token) return;
  const claims = decodeJwt(ctx.body.id_token);
  const header = decodeProtectedHeader(ctx.body.id_token);
  const now = Math.floor(Date.now() / 1000);
  let key = privateKey;
  switch (mode) {
    case 'signature': key = strangerKey; break;
    case 'nonce': claims.nonce = 'not-the-nonce-vink-sent'; break;
    case 'audience': claims.aud = 'some-other-client'; break;
    case 'issuer': claims.iss = 'http://127.0.0.1:1'; break;
    case 'expired': claims.iat = now - 7200; claims.exp = now - 3600; break;
    case 'none': {
      const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
      ctx.body = { ...ctx.body, id_token: `${b64({ alg: 'none' })}.${b64(claims)}.` };
      return;
    }
    default: return;
  }
  const forged = await new SignJWT(claims).setProtectedHeader({ alg: header.alg, kid: header.kid }).sign(key);
  ctx.body = { ...ctx.body, id_token: forged };
});

server.on('request', provider.callback());
const file = arg('--issuer-file');
if (file) writeFileSync(file, `${issuer}\n`);
console.log(`issuer=${issuer}`);

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
