"""Configuration keys of the server and their defaults (override via create_app(test_config))."""

import os
from pathlib import Path

from ttvis.paths import default_data_root


def defaults():
    return {
        "DATA_ROOT": str(default_data_root()),  # the folder holding one sub-folder per run
        # a Milvus Lite file or a server URI (http://host:19530); default: <DATA_ROOT>/.milvus/ttvis.db
        "MILVUS_URI": os.environ.get("TTVIS_MILVUS_URI") or None,
        "CORS_ORIGINS": None,  # None/"" = same-origin only; "*" or a list / comma-separated origins
        "BIND_HOST": None,  # the address served (--host): a name or address there is answered too
        "ALLOWED_HOSTS": None,  # Host names answered besides loopback and BIND_HOST; "*" = any (ttvis.server.guard)
        "CACHE_ITEMS": 256,  # entries in the LRU of loaded arrays and encoded payloads
        "LIVE_MAX_WAITERS": 4,  # long-polling requests allowed to wait at once (each holds a server thread)
        "FOLLOW": None,  # a method name: extend every run's visualization as epochs arrive (serve --follow)
    }


def finish(config):
    """Fill the defaults that depend on other keys."""
    config["DATA_ROOT"] = str(Path(config["DATA_ROOT"]))
    if not config.get("MILVUS_URI"):
        config["MILVUS_URI"] = str(Path(config["DATA_ROOT"]) / ".milvus" / "ttvis.db")
    for key in ("CORS_ORIGINS", "ALLOWED_HOSTS"):
        values = config.get(key)
        if isinstance(values, str):
            values = [v.strip() for v in values.split(",") if v.strip()]
        config[key] = list(values or [])
