"""Configuration: defaults here, secrets and the database address from the environment."""
import os
import secrets
from datetime import timedelta
from pathlib import Path


class Config:
    """Production-like defaults; values that depend on the instance folder are filled by `finalize`."""

    SECRET_KEY = None  #: from $SECRET_KEY, else generated once into instance/secret_key
    SQLALCHEMY_DATABASE_URI = None  #: from $DATABASE_URL, else SQLite in instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "terrain_session"
    #: Secure cookies are decided per request (see auth.sessions): set only over HTTPS.
    SESSION_COOKIE_SECURE = False
    #: Server-side idle timeout; the cookie itself ends with the browser session.
    IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("TERRAIN_IDLE_MINUTES", "60")))
    INVITATION_TTL = timedelta(days=7)
    #: Argon2id parameters (memory in KiB). Tests lower them to stay fast.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024
    ARGON2_PARALLELISM = 2
    #: Failed sign-ins allowed per e-mail address within LOGIN_WINDOW before a pause is imposed.
    LOGIN_MAX_FAILURES = 5
    LOGIN_WINDOW = timedelta(minutes=15)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    WTF_CSRF_HEADERS = ["X-CSRFToken"]
    #: WTForms speaks French through its own catalogues (see app.forms.Form), not Flask-Babel.
    WTF_I18N_ENABLED = False
    #: Optional SMTP for invitations: MAIL_SERVER, MAIL_PORT, MAIL_USERNAME, MAIL_PASSWORD, MAIL_FROM.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1") == "1"
    MAIL_FROM = os.environ.get("MAIL_FROM", "terrain@localhost")
    #: Public base URL used in e-mailed links when requests come through a proxy.
    PUBLIC_URL = os.environ.get("TERRAIN_PUBLIC_URL")
    #: The association's name, printed as the sub-landlord on rent receipts (quittances);
    #: when unset, the managing team's name is printed.
    ASSOCIATION_NAME = os.environ.get("TERRAIN_ASSOCIATION_NAME")
    PAGE_SIZE = 25
    #: Passkeys (WebAuthn). RP ID: a host name, never an IP address; default: the host of
    #: PUBLIC_URL, else of the request ("localhost" in development).
    PASSKEY_RP_ID = os.environ.get("TERRAIN_PASSKEY_RP_ID")
    #: Accepted origins, comma-separated ("https://terrain.example.org"); default: PUBLIC_URL,
    #: else the request's own scheme, host and port.
    PASSKEY_ORIGINS = os.environ.get("TERRAIN_PASSKEY_ORIGINS")
    PASSKEY_RP_NAME = "Terrain"
    #: A passkey ceremony must finish within this time; each challenge serves once.
    PASSKEY_CHALLENGE_TTL = timedelta(minutes=5)
    #: Alerts: run the scheduler in a thread of the server process (the embedded default);
    #: production sets TERRAIN_ALERTS_IN_PROCESS=0 and runs `flask alerts run` on its own.
    ALERTS_SCHEDULER_IN_PROCESS = os.environ.get("TERRAIN_ALERTS_IN_PROCESS", "1") == "1"
    ALERTS_INTERVAL_SECONDS = int(os.environ.get("TERRAIN_ALERTS_INTERVAL", "300"))
    #: VAPID "sub" claim (a mailto: or https: URL); default: mailto: MAIL_FROM.
    VAPID_SUBJECT = os.environ.get("TERRAIN_VAPID_SUBJECT")


class TestConfig(Config):
    """Fast hashing, no CSRF wall for plain view tests unless a test turns it back on."""

    TESTING = True
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1
    WTF_CSRF_ENABLED = False
    SECRET_KEY = "test-secret"
    ALERTS_SCHEDULER_IN_PROCESS = False


def finalize(app) -> None:
    """Fill the settings that need the instance folder or the environment at app creation time."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or _instance_secret(instance)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'terrain.db'}"
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        app.config["SQLALCHEMY_DATABASE_URI"] = url


def _instance_secret(instance: Path) -> str:
    """Read instance/secret_key, creating it (owner-only) on the first start."""
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()
