// A real OpenID Connect provider for Herstel's login tests: node's oidc-provider (OpenID-certified), on
// 127.0.0.1. Started by tests/test_browser_school_login.py with PORT (where to listen) and HERSTEL_URL
// (whose /login/school/terug is the registered redirect URI). Prints "listening <issuer>" once it serves.
//
// Clients (all with the secret "geheim-van-herstel"):
//   herstel           behaves;
//   herstel-vreemd    its ID tokens name another audience (a token meant for another application);
//   herstel-verlopen  its ID tokens expired an hour before they were issued (a clock gone wrong);
//   herstel-elders    has another redirect URI registered than Herstel's.
// Accounts (the login name typed on the provider's own page; any password):
//   see ACCOUNTS. Ticking "tweede factor" logs in with amr ["pwd", "otp", "mfa"].
import http from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const herstel = process.env.HERSTEL_URL;
const issuer = `http://127.0.0.1:${port}`;
const SECRET = 'geheim-van-herstel';

const ACCOUNTS = {
  mentor: { email: 'mentor@hetbaken.example', email_verified: true, name: 'Mentor bij de aanbieder' },
  nieuw: { email: 'nieuw@hetbaken.example', email_verified: true, name: 'Nieuwe Collega' },
  gast: { email: 'gast@elders.example', email_verified: true, name: 'Gast Van Elders' },
  onbevestigd: { email: 'onbevestigd@hetbaken.example', email_verified: false, name: 'Niet Bevestigd' },
};

const client = (id, redirect = `${herstel}/login/school/terug`) => ({
  client_id: id,
  client_secret: SECRET,
  redirect_uris: [redirect],
  post_logout_redirect_uris: [`${herstel}/login`],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
});

const provider = new Provider(issuer, {
  clients: [client('herstel'), client('herstel-vreemd'), client('herstel-verlopen'),
    client('herstel-elders', 'https://elders.example/terug')],
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
  claims: { openid: ['sub', 'acr', 'amr'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false, // the e-mail address in the ID token, as Entra ID and Google put it
  cookies: { keys: ['herstel-test-provider-cookies'] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // No consent page: the school's provider grants what Herstel asks.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

// The misbehaving clients: the token is made and signed by oidc-provider as always, with one thing changed.
const issue = provider.IdToken.prototype.issue;
provider.IdToken.prototype.issue = async function patchedIssue(options = {}) {
  const clientId = this.client?.clientId;
  if (options.use === 'idtoken' && clientId === 'herstel-verlopen') {
    return issue.call(this, { ...options, expiresAt: Math.floor(Date.now() / 1000) - 3600 });
  }
  if (options.use === 'idtoken' && clientId === 'herstel-vreemd') {
    const real = this.client;
    this.client = new Proxy(real, {
      get(target, property) {
        if (property === 'clientId') return 'een-andere-toepassing';
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    try {
      return await issue.call(this, options);
    } finally {
      this.client = real;
    }
  }
  return issue.call(this, options);
};

provider.on('server_error', (ctx, error) => console.error('server_error', error));

const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

function loginPage(uid, clientId) {
  return `<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>Schoolaccount</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>
<h1>Schoolaccount</h1><p>Inloggen bij ${escape(clientId)}</p>
<form method="post" action="/interaction/${escape(uid)}/login">
<p><label for="login">Accountnaam</label> <input id="login" name="login" autocomplete="username" required></p>
<p><label for="password">Wachtwoord bij de school</label> <input id="password" name="password" type="password"></p>
<p><label><input type="checkbox" name="mfa" value="1"> tweede factor</label></p>
<p><button type="submit">Aanmelden bij de school</button></p>
</form></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  const match = req.url.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!match) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET' && !match[2]) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return res.end(loginPage(details.uid, details.params.client_id));
    }
    if (req.method === 'POST' && match[2]) {
      const form = await readForm(req);
      const accountId = form.get('login');
      if (!ACCOUNTS[accountId]) {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        return res.end(loginPage(details.uid, details.params.client_id).replace('<form', '<p>Onbekende account.</p><form'));
      }
      const amr = form.get('mfa') ? ['pwd', 'otp', 'mfa'] : ['pwd'];
      return await provider.interactionFinished(req, res, { login: { accountId, amr } }, { mergeWithLastSubmission: false });
    }
    res.writeHead(405);
    return res.end();
  } catch (error) {
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
    return res.end(String(error));
  }
});

server.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
