"""Deployment: the Docker image's files run the app, and deploy/haproxy.cfg keeps each student on
one replica.

No Docker engine runs where these tests run, so the image is not built here. What the Dockerfile
decides is tested instead: the files `.dockerignore` lets into the image, started with the
Dockerfile's own CMD, serve every page. HAProxy (Debian's package, installed by scripts/setup.sh
dev) runs the example configuration in front of two replicas.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from tools.browser import IDLE, free_port, streamlit_server, wait_healthy, wait_idle

ROOT = Path(__file__).resolve().parents[2]


def dockerfile_cmd() -> list[str]:
    text = (ROOT / "Dockerfile").read_text()
    cmd = re.findall(r"^CMD (\[.*\])$", text, flags=re.MULTILINE)
    assert len(cmd) == 1, "the Dockerfile has one CMD in exec (JSON) form"
    return json.loads(cmd[0])


def image_files(tmp: Path) -> Path:
    """A copy of what `COPY . .` puts in the image: the checkout minus .dockerignore's patterns."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(relative: str) -> bool:
        return any(
            fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(relative, p.removeprefix("**/"))
            or fnmatch.fnmatch(Path(relative).name, p.removeprefix("**/"))
            for p in patterns
        )  # fmt: skip

    target = tmp / "app"
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT).as_posix()
        if any(ignored("/".join(relative.split("/")[: k + 1])) for k in range(relative.count("/") + 1)):
            continue
        if path.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / relative)
    return target


def test_the_image_files_started_by_the_dockerfile_cmd_serve_every_page(page, tmp_path):
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY requirements.txt ." in dockerfile and "pip install -r requirements.txt" in dockerfile
    app = image_files(tmp_path)
    assert not (app / "tests").exists() and not (app / ".venv").exists()
    port = free_port()
    cmd = dockerfile_cmd()
    assert cmd[:2] == ["python", "-m"] and "--server.address=0.0.0.0" in cmd
    command = [sys.executable, *[arg.replace("8501", str(port)) for arg in cmd[1:]]]
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(command, cwd=app, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log=tmp_path / "server.log")
        pages = ("?answers=a", "explore", "step_through", "compare", "gradient_flow", "train", "explore?weights=recall")
        for path in (*pages, "?chapter=6&answers=-----c"):  # chapter 6 reads the shipped experiment's results
            page.goto(f"{url}/{path}")
            wait_idle(page)
            # A Plotly chart, or Step through's live drawing (SVG of its own); the Train page draws
            # nothing before a run but its Train button (its findings tab runs when opened).
            drawn = "button:has-text('Train 300 steps')" if path == "train" else ".js-plotly-plot .main-svg"
            page.wait_for_selector(f"{drawn}, [data-lstm-step='ready'] svg", state="attached", timeout=60_000)
            assert page.locator("[data-testid='stException']").count() == 0, path
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
    assert b"Traceback" not in (tmp_path / "server.log").read_bytes()


def haproxy() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)
    assert found, "HAProxy is missing: bash scripts/setup.sh dev installs Debian's haproxy"
    return found


def test_the_haproxy_example_keeps_each_student_on_one_replica(browser, tmp_path):
    binary = haproxy()
    listen = free_port()
    with streamlit_server("app.py") as one, streamlit_server("app.py") as two:
        env = {
            **os.environ,
            "LISTEN": f"127.0.0.1:{listen}",
            "REPLICA1": one.removeprefix("http://"),
            "REPLICA2": two.removeprefix("http://"),
        }
        config = str(ROOT / "deploy" / "haproxy.cfg")
        check = subprocess.run([binary, "-c", "-f", config], env=env, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        proxy = subprocess.Popen([binary, "-db", "-f", config], env=env, stdout=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{listen}"
            wait_healthy(url, proxy)
            replicas = set()
            upload = tmp_path / "settings.json"
            upload.write_text('{"num_units": 7, "forget_bias": -0.5}')
            for _student in range(2):
                context = browser.new_context()
                page = context.new_page()
                page.goto(f"{url}/explore?weights=random")  # the sidebar cell the settings set
                wait_idle(page)
                cookie = {c["name"]: c["value"] for c in context.cookies()}.get("LSTM_REPLICA")
                assert cookie in ("r1", "r2"), context.cookies()
                replicas.add(cookie)
                # An upload is a separate HTTP request: it must reach the replica holding the session.
                page.locator("[data-testid='stFileUploaderDropzoneInput']").last.set_input_files(str(upload))
                page.get_by_text("Opened settings.json").wait_for(timeout=30_000)
                page.wait_for_selector(IDLE)
                assert "num_units=7" in page.url and "forget_bias=-0.5" in page.url
                script = page.evaluate(
                    "() => performance.getEntriesByType('resource').map((r) => r.name).find((n) => n.endsWith('.js'))"
                )
                headers = {"Accept-Encoding": "gzip", "Cookie": f"LSTM_REPLICA={cookie}"}  # as the student's browser
                request = urllib.request.Request(script, headers=headers)
                with urllib.request.urlopen(request, timeout=10) as response:
                    assert response.headers.get("Content-Encoding") == "gzip"  # the proxy compresses scripts
                context.close()
            assert replicas == {"r1", "r2"}  # round robin spread the two students
        finally:
            proxy.terminate()
            proxy.wait(timeout=10)
