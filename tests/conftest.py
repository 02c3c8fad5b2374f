"""Every test run starts from an empty cache of its own (linunlearn.cache)."""
import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def _own_cache(tmp_path_factory):
    before = os.environ.get("LINUNLEARN_CACHE")
    os.environ["LINUNLEARN_CACHE"] = str(tmp_path_factory.mktemp("linunlearn-cache"))
    yield
    if before is None:
        os.environ.pop("LINUNLEARN_CACHE", None)
    else:
        os.environ["LINUNLEARN_CACHE"] = before
