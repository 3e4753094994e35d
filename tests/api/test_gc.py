"""A served worker freezes what is alive once it has started: the full garbage collections its requests
trigger then skip those objects (measured ~130 ms each with them). Stopping the app unfreezes them, so an
app stopped inside a longer-lived process (a test run) can still be collected."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient


def test_start_up_objects_are_frozen_while_serving_and_released_after(app):
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 10_000  # modules, models and routes at least
    assert gc.get_freeze_count() == 0
