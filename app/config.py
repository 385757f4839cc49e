"""Configuration: defaults here, secrets and the database address from the environment."""
import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path


class Config:
    """Production-like defaults; values that depend on the instance folder are filled by `finalize`."""

    SECRET_KEY = None  #: from $SECRET_KEY, else generated once into instance/secret_key
    #: from $DATABASE_URL (postgresql://user:password@host/db, driven by psycopg 3), else SQLite
    #: in instance/
    SQLALCHEMY_DATABASE_URI = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "terrain_session"
    #: Secure cookies are decided per request (see auth.sessions): set only over HTTPS.
    SESSION_COOKIE_SECURE = False
    #: Server-side idle timeout; the cookie itself ends with the browser session.
    IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("TERRAIN_IDLE_MINUTES", "30")))
    #: A session ends this long after sign-in whatever the activity.
    ABSOLUTE_TIMEOUT = timedelta(hours=int(os.environ.get("TERRAIN_SESSION_HOURS", "12")))
    INVITATION_TTL = timedelta(days=7)
    #: Argon2id parameters (memory in KiB). Tests lower them to stay fast.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024
    ARGON2_PARALLELISM = 2
    #: Sign-in throttling (app/auth/throttle.py): each run of LOGIN_MAX_FAILURES failures for
    #: one e-mail starts a pause of LOGIN_WINDOW, doubled at each further run within a day, up
    #: to LOGIN_MAX_PAUSE; never more than LOGIN_MAX_FAILURES_PER_HOUR failures an hour; one
    #: network address gets LOGIN_MAX_FAILURES_PER_IP failures per LOGIN_WINDOW.
    LOGIN_MAX_FAILURES = 5
    LOGIN_WINDOW = timedelta(minutes=15)
    LOGIN_MAX_PAUSE = timedelta(hours=4)
    LOGIN_MAX_FAILURES_PER_HOUR = 100
    LOGIN_MAX_FAILURES_PER_IP = 20
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
    #: SQLite only: how long a request waits for the database's write lock before it is
    #: answered 503 "réessayez" (milliseconds). See app/sqlite.py.
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("TERRAIN_SQLITE_BUSY_MS", "30000"))
    #: Memory map of the SQLite file for reads, in MiB (0: off). See app/sqlite.py.
    SQLITE_MMAP_MB = int(os.environ.get("TERRAIN_SQLITE_MMAP_MB", "256"))
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
    #: Accept plain-http push endpoints on loopback (a local test push service); never in
    #: production, where push services are https.
    PUSH_ALLOW_HTTP = os.environ.get("TERRAIN_PUSH_ALLOW_HTTP", "0") == "1"
    #: Addresses of the reverse proxy whose X-Forwarded-For/-Proto are believed (comma-
    #: separated; empty: none). gunicorn.conf.py sets "127.0.0.1,::1". See app/proxy.py.
    TRUSTED_PROXIES = os.environ.get("TERRAIN_TRUSTED_PROXIES", "")
    #: File storage (photos, thumbnails, documents): "local" (a folder) or "s3" (an
    #: S3-compatible object store, for several machines). See app/storage.py.
    STORAGE = os.environ.get("TERRAIN_STORAGE", "local")
    #: Local storage folder; default: the instance folder (photos go to <folder>/photos).
    STORAGE_FOLDER = os.environ.get("TERRAIN_STORAGE_FOLDER")
    #: Object storage: bucket, optional key prefix, endpoint URL (any S3-compatible service;
    #: empty for AWS) and region. Credentials come from AWS_ACCESS_KEY_ID and
    #: AWS_SECRET_ACCESS_KEY in the environment (boto3's usual chain).
    S3_BUCKET = os.environ.get("TERRAIN_S3_BUCKET")
    S3_PREFIX = os.environ.get("TERRAIN_S3_PREFIX", "")
    S3_ENDPOINT_URL = os.environ.get("TERRAIN_S3_ENDPOINT_URL")
    S3_REGION = os.environ.get("TERRAIN_S3_REGION")


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
        app.config["SQLALCHEMY_DATABASE_URI"] = database_url(url)


def database_url(url: str) -> str:
    """Name the PostgreSQL driver explicitly (psycopg 3): postgres:// and postgresql:// URLs,
    as hosting services give them, would otherwise mean psycopg2."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _instance_secret(instance: Path) -> str:
    """Read instance/secret_key, creating it (owner-only) on the first start."""
    path = instance / "secret_key"
    if not path.exists():
        # Several workers may start at once: write a temp file whole, then link it into
        # place; the first link wins and everyone reads that one key.
        fd, tmp = tempfile.mkstemp(dir=instance, prefix=".secret-")
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()
