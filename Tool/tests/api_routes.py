"""The server's GET routes about one run, filled in (for tests that sweep them all)."""


def get_urls(app, run, *, epoch, method="pca", sample=0, search=False):
    """Every GET route about run `run`, filled in (the search route only when `search`: it needs Milvus)."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith("/api/runs"):
            continue
        if rule.rule.endswith("/search") and not search:
            continue
        url = (rule.rule.replace("<run>", run).replace("<epoch>", str(epoch)).replace("<method>", method)
               .replace("<sample>", str(sample)))
        yield url + (f"?sample={sample}" if rule.rule.endswith("/search") else "")
