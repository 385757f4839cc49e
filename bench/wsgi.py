"""Terrain and a bare Flask hello-world in the same gunicorn workers, for the load benchmark.

    gunicorn -c gunicorn.conf.py bench.wsgi:application

`/hello/` is served by a Flask app with one route and nothing else (no session, no database,
no security headers): its latency under the same load is the yardstick Terrain's pages are
compared with, so the results are ratios that hold on a noisy machine.
"""
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from app import create_app

hello = Flask("hello")


@hello.route("/")
def hello_world():
    """The smallest page Flask can serve."""
    return "Hello, World!"


application = DispatcherMiddleware(create_app(), {"/hello": hello})
