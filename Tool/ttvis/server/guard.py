"""Refuse requests a hostile web page could make through the user's browser, before any route runs.

- DNS rebinding: a page on a name the attacker controls, re-pointed at this machine, sends its own name
  as Host. Only the names this server is meant to answer are accepted: loopback names, the bound
  address (--host) and ALLOWED_HOSTS (--allow-host; "*" accepts any).
- Cross-site requests: any page may POST to a loopback port. A state-changing request (every method but
  GET, HEAD, OPTIONS, whatever its route) is refused when its Origin is not this server's own or a
  CORS_ORIGINS entry (--cors), and when it carries a body that is not JSON (a foreign page cannot send
  JSON without a CORS preflight this server does not grant).
"""

from urllib.parse import urlsplit

from flask import request

from ttvis.server.responses import json_error

LOOPBACK = ("localhost", "127.0.0.1", "::1")
WILDCARD_BINDS = ("", "0.0.0.0", "::")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def hostname(value):
    """The lower-case host name of a Host header or an address, without port or IPv6 brackets."""
    value = str(value or "").strip()
    if ":" in value and not value.startswith("[") and value.count(":") > 1:
        value = f"[{value}]"  # a bare IPv6 address
    try:
        return (urlsplit(f"//{value}").hostname or "").rstrip(".")
    except ValueError:
        return ""


def allowed_hosts(config):
    """Host names answered: loopback, the bound address (unless a wildcard) and ALLOWED_HOSTS."""
    names = set(LOOPBACK)
    bind = hostname(config.get("BIND_HOST"))
    if bind not in WILDCARD_BINDS:
        names.add(bind)
    names.update(hostname(h) if h != "*" else "*" for h in config["ALLOWED_HOSTS"])
    return names


def init_app(app):
    hosts = allowed_hosts(app.config)
    origins = [o.rstrip("/").lower() for o in app.config["CORS_ORIGINS"]]

    @app.before_request
    def guard():
        host = hostname(request.host)
        if "*" not in hosts and host not in hosts:
            return json_error(403, f"host {host or request.host!r} is not served here; to serve it, start "
                                   f"the server with --allow-host {host or 'NAME'}")
        if request.method in SAFE_METHODS:
            return None
        origin = request.headers.get("Origin")
        if origin is not None and not _same_origin(origin) and "*" not in origins \
                and origin.rstrip("/").lower() not in origins:
            return json_error(403, f"cross-origin request from {origin[:100]!r} refused; to allow it, start "
                                   "the server with --cors ORIGIN")
        if (request.content_length or request.mimetype) and not request.is_json:
            return json_error(415, "the request body must be JSON (Content-Type: application/json)")
        return None


def _same_origin(origin):
    return origin.rstrip("/").lower() == request.host_url.rstrip("/").lower()
