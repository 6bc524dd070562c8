"""Browser tests: `streamlit run app.py` on a free loopback port, driven by Debian's Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.browser import launch_args, streamlit_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, **launch_args()}


@pytest.fixture(scope="session")
def app_url(tmp_path_factory) -> str:
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with streamlit_server("app.py", log=log) as url:
        yield url


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
