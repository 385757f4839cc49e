"""A real Terrain server in a background thread, for browser tests and benchmarks."""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from sqlalchemy import text
from werkzeug.serving import make_server

from app import create_app, demo
from app.config import TestConfig
from app.extensions import db
from app.timeutil import utcnow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


class LiveServer:
    """Terrain served by werkzeug in a background thread."""

    def __init__(self, app):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        self.app = app
        self.server = make_server("localhost", 0, app, threaded=True)
        self.url = f"http://localhost:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def reset(self) -> None:
        """Empty every table and load the demo association again."""
        from app.privacy.guard import suspended  # audit rows refuse deletion otherwise

        with self.app.app_context():
            with suspended(db.session.connection()):
                for table in reversed(db.metadata.sorted_tables):
                    db.session.execute(table.delete())
            if db.engine.dialect.name == "postgresql":
                # Ids start at 1 again, as SQLite's do once a table is empty.
                db.session.execute(text(
                    "SELECT setval(quote_ident(sequence_schema) || '.' || "
                    "quote_ident(sequence_name), 1, false) FROM information_schema.sequences"))
            db.session.commit()
            demo.load(utcnow())

    @classmethod
    def start(cls, folder: Path, database_url: str | None = None) -> "LiveServer":
        """Serve a fresh app on localhost and a free port, on `database_url` (empty, or with
        the schema) or else a SQLite file in `folder`."""
        folder = Path(folder)
        settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
        settings.update(SQLALCHEMY_DATABASE_URI=database_url or f"sqlite:///{folder / 'terrain.db'}",
                        WTF_CSRF_ENABLED=True, TESTING=False,
                        INSTANCE_PATH=str(folder / "instance"))
        app = create_app(settings)
        with app.app_context():
            db.create_all()
        server = cls(app)
        server.thread.start()
        return server

    def stop(self) -> None:
        """Shut the server down."""
        self.server.shutdown()
