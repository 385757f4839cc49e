"""The installable web app: service worker, manifest, offline page, session state for the outbox."""
