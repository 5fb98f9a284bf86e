"""Fuzz every operation of /api/openapi.json with schemathesis: no input may cause a 5xx.

Two passes: the document as served (random names, mostly 404s), and the same document with the path
parameters narrowed to real run / method / epoch / sample values (and a few unknown ones), so generated
requests reach the handlers' parameter parsing and data paths too.
"""

import copy
import shutil

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402

EXAMPLES = 15


@pytest.fixture(scope="module")
def fuzz_app(data_root, tmp_path_factory):
    """A private copy of the data root: fuzzed POSTs may start real builds."""
    from ttvis.server import create_app

    root = tmp_path_factory.mktemp("fuzzroot")
    for name in ("digits", "plain"):
        shutil.copytree(data_root / name, root / name)
    app = create_app({"DATA_ROOT": str(root), "TESTING": True})
    yield app
    assert app.extensions["ttvis_builds"].wait(timeout=120)  # builds the fuzzer started end cleanly


def with_real_names(doc, epochs, n):
    doc = copy.deepcopy(doc)
    real = {"run": {"enum": ["digits", "digits", "digits", "plain", "nope"]},
            "method": {"enum": ["pca", "pca", "pca", "umap", "Bad"]},
            "epoch": {"enum": epochs + [0, 99]}, "sample": {"type": "integer", "minimum": -2, "maximum": n + 2}}
    for path, item in doc["paths"].items():
        for op in item.values():
            for p in op.get("parameters", []):
                if p["in"] == "path" and p["name"] in real:
                    p["schema"] = real[p["name"]]
                if path.endswith("/build") and p["name"] == "method":  # real builds, but only quick ones
                    p["schema"] = {"enum": ["pca", "Bad"]}
    return doc


def fuzz(schema, mode, examples=EXAMPLES):
    from collections import Counter

    from schemathesis import GenerationMode

    seen, failures = Counter(), []
    for result in schema.get_all_operations():
        op = result.ok()

        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        @given(case=op.as_strategy(generation_mode=getattr(GenerationMode, mode)))
        def check(case):
            response = case.call()
            seen[response.status_code] += 1
            if response.status_code >= 500:
                failures.append((op.label, case.formatted_path, case.query, response.status_code, response.text[:200]))

        try:
            check()
        except Unsatisfiable:  # nothing to make invalid (an operation without parameters)
            assert mode == "NEGATIVE"
    return seen, failures


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["POSITIVE", "NEGATIVE"])
def test_fuzz_openapi_served_document(fuzz_app, mode):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app)
    seen, failures = fuzz(schema, mode, EXAMPLES if mode == "POSITIVE" else 8)
    assert sum(seen.values()) > 60
    assert failures == []


@pytest.mark.slow
def test_fuzz_openapi_with_real_names(fuzz_app, digits):
    doc = fuzz_app.test_client().get("/api/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(with_real_names(doc, digits.epochs, digits.n))
    schema.app = fuzz_app
    seen, failures = fuzz(schema, "POSITIVE")
    assert sum(seen.values()) > 100 and seen[200] > 50  # real data was reached, not only 404s
    assert failures == []


def test_document_lists_every_api_route(app):
    """Every /api rule of the app is documented (and the search routes of the contract)."""
    doc = app.test_client().get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = set(doc["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api"):
            assert rule.rule.replace("<", "{").replace(">", "}") in documented, rule.rule
    assert {"/api/runs/{run}/search", "/api/runs/{run}/suspicious"} <= documented
