"""gunicorn settings for Terrain in production: `gunicorn -c gunicorn.conf.py`.

Every value can be changed from the environment (the systemd unit's EnvironmentFile) without
editing this file. See docs/deploy.md.
"""
import os

# The app factory; each worker builds its own app (and its own database connections).
wsgi_app = "app:create_app()"

# Listen on loopback only: the reverse proxy (Caddy, nginx) on the same machine is the only
# client. Use TERRAIN_BIND=unix:/run/terrain/terrain.sock for a socket.
bind = os.environ.get("TERRAIN_BIND", "127.0.0.1:8000")

# Two processes per core is a fair start for a 2-core server; at least two, so one slow
# request (a PDF with thirty photos) never holds up everybody.
workers = int(os.environ.get("TERRAIN_WORKERS", max(2, 2 * (os.cpu_count() or 1))))
# A few threads per worker overlap database and storage waits (photos from object storage).
worker_class = "gthread"
threads = int(os.environ.get("TERRAIN_THREADS", "4"))

# A request taking more than a minute is stuck: the worker is restarted. Graceful restarts
# (systemctl reload) let running requests finish.
timeout = int(os.environ.get("TERRAIN_TIMEOUT", "60"))
graceful_timeout = 30
# Idle keep-alive connections are closed after this long. Longer than the proxy's own idle
# timeout (Caddy's Caddyfile in docs/deploy.md: 60 s), so the proxy never sends a request on a
# connection gunicorn is closing at that instant (a "connection reset" error page).
keepalive = int(os.environ.get("TERRAIN_KEEPALIVE", "75"))
# Recycle workers now and then (WeasyPrint and Pillow hold memory after big documents).
max_requests = 2000
max_requests_jitter = 200

# Forwarded headers are believed from the local proxy only. gunicorn uses
# forwarded_allow_ips for the scheme (X-Forwarded-Proto: https); Terrain's own middleware
# (app/proxy.py) uses TERRAIN_TRUSTED_PROXIES for the client's address.
forwarded_allow_ips = os.environ.get("TERRAIN_TRUSTED_PROXIES", "127.0.0.1,::1")
os.environ.setdefault("TERRAIN_TRUSTED_PROXIES", forwarded_allow_ips)

# The alert scheduler runs as its own process (`flask alerts run`, a systemd unit), never in
# each web worker. Passes are idempotent, so a forgotten setting costs work, not duplicates.
os.environ.setdefault("TERRAIN_ALERTS_IN_PROCESS", "0")

# Logs to stdout/stderr: systemd's journal keeps them (journalctl -u terrain).
accesslog = os.environ.get("TERRAIN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("TERRAIN_LOG_LEVEL", "info")
# No query strings in the access log: search terms may be names.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms pid=%(p)s'
proc_name = "terrain"
# No gunicornc control socket (gunicorn 25.1+ puts one in $HOME by default, shared by every
# gunicorn of the same user): systemd reloads with SIGHUP.
control_socket_disable = True
