"""Signing in with the school's own accounts: OpenID Connect against the provider the administrator set
(Microsoft Entra ID, Google Workspace or any standard provider).

Authlib does the protocol: the authorisation URL with state, nonce and PKCE (S256), the code exchange, and
the ID token's signature (against the provider's keys, fetched again once for an unknown key id), issuer,
audience, expiry and nonce. Authlib's Flask client talks HTTP through `requests`, which Herstel does not
carry; its framework-neutral client classes run here on a small transport over the standard library.
"""
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import BaseApp, FrameworkIntegration, OAuth2Mixin, OAuthError, OpenIDMixin
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.client import OAuth2Client
from flask import url_for
from flask_babel import gettext as _
from joserfc.errors import JoseError
from peewee import IntegrityError, fn

import audit
from db import db, utcnow
from models import SchoolSettings, User, UserIdentity, UserSession

SCOPES = "openid email profile"
TIMEOUT = 8  # seconds for each request to the provider; a provider that hangs must not hold a worker long
METADATA_SECONDS = 3600  # discovery document and keys are fetched again after an hour (or on an unknown key id)
LEEWAY_SECONDS = 120  # clock difference tolerated on the ID token's times (Authlib's default)
# amr values (RFC 8176) that say the provider asked more than a password.
MFA_AMR = {"mfa", "otp", "hwk", "swk", "sms", "tel", "fpt", "face", "iris", "retina", "vbm", "pop"}


class ProviderError(Exception):
    """The provider could not be reached or answered something unusable; `reason` is a key of REASONS."""

    def __init__(self, reason, detail=""):
        super().__init__("%s: %s" % (reason, detail))
        self.reason, self.detail = reason, detail


# The transport ---------------------------------------------------------------------------------------------

class _Response:
    def __init__(self, status, body, headers):
        self.status_code, self.content, self.headers = status, body, headers

    @property
    def text(self):
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)

    def raise_for_status(self):
        if self.status_code >= 400:
            raise ProviderError("http", "HTTP %d" % self.status_code)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http_request(method, url, data=None, headers=None):
    """One request to the provider (no redirects followed); errors of the network become ProviderError."""
    if not url.startswith(("https://", "http://")):
        raise ProviderError("unreachable", "no http(s) URL")
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with _opener.open(request, timeout=TIMEOUT) as answer:
            return _Response(answer.status, answer.read(1_000_000), dict(answer.headers))
    except urllib.error.HTTPError as error:
        return _Response(error.code, error.read(1_000_000), dict(error.headers or {}))
    except (OSError, ValueError) as error:
        raise ProviderError("unreachable", str(error)[:200]) from error


class _Session(OAuth2Client):
    """Authlib's OAuth 2 client with the calls it makes on a requests.Session, over urllib."""

    def __init__(self, client_id=None, client_secret=None, **kwargs):
        self.headers = {}
        OAuth2Client.__init__(self, session=self, client_id=client_id, client_secret=client_secret, **kwargs)

    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False

    def __del__(self):  # OAuth2Client's would delete self.session, which is this object
        pass

    def request(self, method, url, data=None, headers=None, auth=None, withhold_token=False, **kwargs):
        headers = dict(self.headers, **(headers or {}))
        body = urllib.parse.urlencode(data) if isinstance(data, dict) else (data or "")
        if auth is not None:
            url, headers, body = auth.prepare(method, url, headers, body)
        return http_request(method, url, body.encode() if body else None, headers)

    def post(self, url, **kwargs):
        return self.request("POST", url, **kwargs)


class ProviderClient(OAuth2Mixin, OpenIDMixin, BaseApp):
    """The school's provider as Authlib sees it: discovery, authorisation URL, code exchange, ID token."""

    client_cls = _Session

    def fetch_jwk_set(self, force=False):
        try:
            return super().fetch_jwk_set(force=force)
        except RuntimeError as error:
            raise ProviderError("metadata", str(error)) from error


_clients = {}
_clients_lock = threading.Lock()


def client_for(provider):
    """The provider's client, its discovery document and keys kept for an hour per worker."""
    key = (provider.issuer, provider.client_id, provider.client_secret)
    with _clients_lock:
        client = _clients.get(key)
        if client is None or time.time() - client.server_metadata.get("_loaded_at", time.time()) > METADATA_SECONDS:
            client = ProviderClient(
                FrameworkIntegration("herstel"), name="herstel", client_id=provider.client_id,
                client_secret=provider.client_secret, server_metadata_url=discovery_url(provider.issuer),
                client_kwargs={"scope": SCOPES, "code_challenge_method": "S256"})
            _clients.clear()
            _clients[key] = client
    return client


def discovery_url(issuer):
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def load_metadata(client, issuer):
    """The discovery document, checked to be this issuer's and to name what the login needs."""
    try:
        metadata = client.load_server_metadata()
    except ValueError as error:
        raise ProviderError("metadata", "no JSON") from error
    except ProviderError as error:
        if error.reason == "http":
            raise ProviderError("unreachable", error.detail) from error
        raise
    if metadata.get("issuer") != issuer:
        named = str(metadata.get("issuer"))[:200]
        client.server_metadata.clear()
        raise ProviderError("issuer", named)
    missing = [name for name in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not metadata.get(name)]
    if missing:
        raise ProviderError("metadata", ", ".join(missing))
    return metadata


# The login ------------------------------------------------------------------------------------------------

def start(provider, session, redirect_uri):
    """The provider's authorisation URL for this browser; state, nonce and the PKCE verifier wait in `session`."""
    client = client_for(provider)
    load_metadata(client, provider.issuer)
    answer = client.create_authorization_url(redirect_uri)
    client.framework.set_state_data(session, answer["state"], {
        "redirect_uri": redirect_uri, "nonce": answer["nonce"], "code_verifier": answer["code_verifier"]})
    return answer["url"]


class Refused(Exception):
    """A provider login that does not let anyone in; `reason` is a key of REASONS (for the audit log too)."""

    def __init__(self, reason, detail="", user=None):
        super().__init__(reason)
        self.reason, self.detail, self.user = reason, detail, user


def finish(provider, session, args):
    """Check the provider's answer (`args`: the callback's query) and return the ID token's claims.

    The state is taken from the session once, so a callback replayed finds none. Raises Refused."""
    if args.get("error"):
        raise Refused("provider_error", "%s %s" % (args.get("error"), args.get("error_description", "")))
    client = client_for(provider)
    state = args.get("state") or ""
    state_data = client.framework.get_state_data(session, state)
    client.framework.clear_state_data(session, state)
    if not state_data or not args.get("code"):
        raise Refused("state")
    try:
        load_metadata(client, provider.issuer)
        token = client.fetch_access_token(redirect_uri=state_data["redirect_uri"], code=args["code"],
                                          code_verifier=state_data["code_verifier"])
        if "id_token" not in token:
            raise Refused("token", "no id_token")
        claims = client.parse_id_token(token, nonce=state_data["nonce"], leeway=LEEWAY_SECONDS)
    except ProviderError as error:
        raise Refused("unreachable", error.detail) from error
    except (OAuthError, AuthlibBaseError, JoseError, ValueError, KeyError) as error:
        raise Refused(token_problem(error), "%s: %s" % (type(error).__name__, str(error)[:200])) from error
    return dict(claims)


def token_problem(error):
    """Which refusal an error of the exchange or of the ID token is."""
    name = type(error).__name__
    if name == "ExpiredTokenError":
        return "expired"
    if name in ("InvalidClaimError", "MissingClaimError") and ("'aud'" in str(error) or "'azp'" in str(error)
                                                               or '"aud"' in str(error) or '"azp"' in str(error)):
        return "audience"  # a token for another client: its aud is not ours, so Authlib asks for an azp first
    if name == "InvalidClaimError" and "iss" in str(error):
        return "issuer"
    if name == "InvalidClaimError" and "nonce" in str(error):
        return "nonce"
    if name in ("BadSignatureError", "InvalidKeyIdError", "MissingKeyError"):
        return "signature"
    return "token"


def second_factor_done(provider, claims):
    """Whether the provider says it asked a second factor (amr, or an acr naming mfa) and the school trusts it."""
    if not provider.trust_provider_mfa:
        return False
    amr = claims.get("amr") or []
    acr = str(claims.get("acr") or "").lower()
    return bool(MFA_AMR.intersection(amr if isinstance(amr, list) else [amr])) or "mfa" in acr or "multi-factor" in acr


def email_domain(email):
    return email.rsplit("@", 1)[1].lower() if "@" in email else ""


def match_user(provider, claims):
    """The user this provider account signs in as, linking it (by a verified e-mail address of an allowed
    domain) the first time, or making a user without a role when the school allows it. Raises Refused."""
    issuer, subject = provider.issuer, str(claims.get("sub") or "")
    identity = (UserIdentity.select(UserIdentity, User).join(User)
                .where(UserIdentity.issuer == issuer, UserIdentity.subject == subject).first())
    if identity is not None:
        if not identity.user.is_active:
            raise Refused("inactive", user=identity.user)
        UserIdentity.update(last_login_at=utcnow()).where(UserIdentity.id == identity.id).execute()
        return identity.user, ""
    email = str(claims.get("email") or "").strip().lower()
    if not email:
        raise Refused("no_email", "sub %s" % subject[:60])
    # Entra ID sends no email_verified; its optional claim xms_edov says the domain's owner verified it.
    if claims.get("email_verified") is not True and claims.get("xms_edov") is not True:
        raise Refused("unverified", email)
    if email_domain(email) not in provider.domains:
        raise Refused("domain", email)
    user = User.get_or_none(fn.lower(User.email) == email)
    if user is not None and not user.is_active:
        raise Refused("inactive", email, user=user)
    how = "gekoppeld via %s" % email
    if user is None:
        if not provider.create_accounts:
            raise Refused("unknown", email)
        user = _new_user(claims, email)
        how = "account aangemaakt voor %s" % email
    try:
        with db.atomic():
            UserIdentity.create(user=user, issuer=issuer, subject=subject, last_login_at=utcnow())
    except IntegrityError:  # the same account's login in another tab linked it first
        pass
    audit.record("login.provider_link", user, user=user, detail=how)
    return user, how


def unlink(identity, admin):
    """An administrator removes a provider account's link (linked to the wrong person, or the account
    went to someone else): its next login links again by address, or is refused. The user's sessions
    end, since one of them may have come through that account."""
    with db.atomic():
        UserIdentity.delete().where(UserIdentity.id == identity.id).execute()
        UserSession.end_all(identity.user)
        audit.record("user.provider_unlink", identity.user, user=admin, detail="%s · %s" % (
            identity.issuer, identity.subject[:60]))


def _new_user(claims, email):
    """A user for a provider account, with no role and no usable password."""
    base = email.split("@", 1)[0][:56] or "medewerker"
    username, number = base, 1
    while User.by_username(username) is not None:
        number += 1
        username = "%s%d" % (base, number)
    name = str(claims.get("name") or "").strip()[:200] or email
    return User.create(username=username, full_name=name, email=email, password_hash="!")


def end_session_url(provider, after):
    """The provider's end-session address (RP-initiated logout), or "" when it has none."""
    try:
        client = client_for(provider)
        metadata = load_metadata(client, provider.issuer)
    except ProviderError:
        return ""
    if not metadata.get("end_session_endpoint"):
        return ""
    # No id_token_hint: the ID token is not kept (it would carry the user's name in the cookie); the client id
    # tells the provider whose logout it is, and it asks the user to confirm.
    return client.create_logout_url(post_logout_redirect_uri=after, client_id=provider.client_id)["url"]


# Testing the connection ----------------------------------------------------------------------------------

def test_connection(provider, redirect_uri):
    """Try discovery, the keys, the client's secret and the redirect URI; returns a list of (reason, detail),
    empty when all is well."""
    client = client_for(provider)
    client.server_metadata.clear()  # the administrator wants today's answer, not the hour-old one
    try:
        metadata = load_metadata(client, provider.issuer)
        client.fetch_jwk_set(force=True)
    except ProviderError as error:
        return [(error.reason, error.detail)]
    problems = []
    # A made-up code with the right secret is refused as invalid_grant; with a wrong one as invalid_client.
    body = urllib.parse.urlencode({"grant_type": "authorization_code", "redirect_uri": redirect_uri,
                                   "code": "herstel-verbindingstest-" + secrets.token_urlsafe(8),
                                   "code_verifier": secrets.token_urlsafe(48)})
    url, headers, body = ClientAuth(provider.client_id, provider.client_secret, "client_secret_basic").prepare(
        "POST", metadata["token_endpoint"], {"Content-Type": "application/x-www-form-urlencoded",
                                             "Accept": "application/json"}, body)
    token = http_request("POST", url, body.encode(), headers)
    try:
        answer = token.json()
        error = answer.get("error", "") if isinstance(answer, dict) else ""
    except ValueError:
        error = ""
    if error in ("invalid_client", "unauthorized_client") or token.status_code == 401:
        problems.append(("secret", error or "HTTP %d" % token.status_code))
    authorise = http_request("GET", client.create_authorization_url(redirect_uri)["url"])
    text = authorise.text.lower()
    if authorise.status_code >= 400 or "redirect_uri" in text and ("mismatch" in text or "did not match" in text
                                                                    or "aadsts50011" in text):
        problems.append(("redirect" if "redirect_uri" in text or "aadsts50011" in text else "client",
                         "HTTP %d" % authorise.status_code))
    if any(reason == "client" for reason, _detail in problems):  # an unknown client has no right secret either
        problems = [problem for problem in problems if problem[0] != "secret"]
    return problems


def refusal_text(reason, detail="", passwords_for_all=True):
    """What a refused provider login tells the person at the browser."""
    other_way = (_("Log in met je gebruikersnaam en wachtwoord, of probeer het later opnieuw.") if passwords_for_all
                 else _("Probeer het later opnieuw; een beheerder kan met een wachtwoord inloggen."))
    wrong = _("Het antwoord van de schoolaccount klopt niet: %(what)s. Je bent niet ingelogd. Meld het aan de "
              "beheerder als het blijft gebeuren.", what="%s")
    texts = {
        "unreachable": _("De schoolaccount is nu niet bereikbaar.") + " " + other_way,
        "provider_error": _("De schoolaccount heeft het inloggen afgebroken. Je bent niet ingelogd."),
        "state": _("Deze inlogpoging is verlopen of al gebruikt. Begin opnieuw met Inloggen met de schoolaccount."),
        "expired": wrong % _("het bewijs van de aanbieder is verlopen"),
        "audience": wrong % _("het bewijs van de aanbieder is niet voor Herstel bedoeld"),
        "issuer": wrong % _("het bewijs komt van een andere aanbieder"),
        "nonce": wrong % _("het bewijs hoort niet bij deze inlogpoging"),
        "signature": wrong % _("de handtekening van het bewijs klopt niet"),
        "token": wrong % _("het bewijs is onleesbaar"),
        "inactive": _("Je account in Herstel staat uit. Vraag de beheerder om het weer aan te zetten."),
        "no_email": _("Je schoolaccount geeft geen bevestigd e-mailadres, dus Herstel weet niet wie je bent. Vraag de "
                      "beheerder om je account te koppelen."),
        "domain": _("Het e-mailadres %(email)s hoort niet bij de school. Log in met de account die de school je gaf.",
                    email=detail),
        "unknown": _("Herstel heeft geen medewerker met het e-mailadres %(email)s. Vraag de beheerder om een account "
                     "voor je te maken.", email=detail),
    }
    texts["unverified"] = texts["no_email"]
    return texts.get(reason, texts["token"])


def callback_url():
    """The address the provider sends the browser back to: the one to register with it."""
    return own_url("auth.school_callback")


def own_url(endpoint):
    """A full address of a page of Herstel, on the school's own address when one is set (behind a proxy the
    request's own address may not be the one people use)."""
    base = SchoolSettings.cached().app_url
    return base.rstrip("/") + url_for(endpoint) if base else url_for(endpoint, _external=True)
