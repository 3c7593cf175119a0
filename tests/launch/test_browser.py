"""JupyterLab in a real browser: open notebook 00, Run All Cells, and look at what the learner would see.

Starts `jupyter lab` from the course's venv on a free loopback port with a random token, drives the system's
headless Chromium with Playwright (no browser is downloaded), and runs against the course's configured brokers.
A fresh copy of notebook 00 under results/browser/ is opened, so the committed notebook is never touched.
Run with `make test-browser`; the screenshot lands in results/browser/.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import config

CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic"]
OUT = config.PROJECT_ROOT / "results" / "browser"
NOTEBOOK = "00_start_here.ipynb"
# Generous bounds, each waiting on a condition: a loaded 2-core machine can take minutes to start a kernel.
KERNEL_LIMIT_S = 240  # until the notebook's kernel is connected and Idle
RUN_ALL_LIMIT_S = 300  # until every cell ran (about 10 s on an idle machine)
RESCHEDULE_S = 20  # Run All again when no cell shows [*] this long after the click (nothing was scheduled)
KERNEL_IDLE = ".jp-Notebook-ExecutionIndicator[data-status='idle']"
LAB_SETTINGS = {  # a throwaway settings folder: no autosave, no news pop-up, every cell kept in the page
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
TRACEBACK_MARKERS = ("Traceback (most recent call last)", "-" * 75)


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: where it listens and its token."""

    url: str
    token: str


def free_port() -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, server: subprocess.Popen[bytes], limit_s: float = 60) -> None:
    """Wait (bounded) for the server's REST API to answer; fail early if the process died."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"jupyter lab exited with {server.returncode}; see {OUT / 'jupyter.log'}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"jupyter lab did not answer within {limit_s:.0f} s; see {OUT / 'jupyter.log'}")


def stop(server: subprocess.Popen[bytes], grace_s: float = 15) -> None:
    """SIGTERM the server's process group (server and kernels), SIGKILL whatever is left after grace_s."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=grace_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """jupyter lab from the venv on a free port with a random token, rooted at the repository."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: sudo apt-get install -y chromium (.ci/run does)")
    shutil.rmtree(OUT, ignore_errors=True)
    home = OUT / "jupyter"
    for name, settings in LAB_SETTINGS.items():
        (home / "settings" / name).parent.mkdir(parents=True, exist_ok=True)
        (home / "settings" / name).write_text(json.dumps(settings))
    shutil.copy(config.PROJECT_ROOT / "notebooks" / NOTEBOOK, OUT / NOTEBOOK)
    port, token = free_port(), secrets.token_hex(24)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    command = [str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={config.PROJECT_ROOT}", *(["--allow-root"] if os.geteuid() == 0 else [])]
    with open(OUT / "jupyter.log", "wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                  cwd=config.PROJECT_ROOT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{url}/api/status?token={token}", server)
        yield Lab(url, token)
    finally:
        stop(server)


@dataclass(frozen=True)
class Outcome:
    """What the browser showed after Run All Cells."""

    cells: int
    prompts: list[str]
    outputs: list[str]
    seconds: float
    screenshot: Path


@pytest.fixture(scope="module")
def run_all(lab: Lab) -> Outcome:
    """Open the notebook copy, Run > Run All Cells, wait (bounded) until every cell ran, screenshot it."""
    from playwright.sync_api import sync_playwright

    relative = (OUT / NOTEBOOK).relative_to(config.PROJECT_ROOT).as_posix()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(30_000)
            try:
                # a workspace of its own, reset: no tab from an earlier session is restored beside the notebook
                page.goto(f"{lab.url}/lab/workspaces/browser-test/tree/{relative}?reset&token={lab.token}")
                page.locator(".jp-Notebook .jp-CodeCell").first.wait_for()
                wait_for_idle_kernel(page, lab)  # Run All before the kernel is connected runs nothing
                menu(page, "Edit", "Clear Outputs of All Cells")  # so every output and [n] seen is from this run
                started = time.monotonic()
                menu(page, "Run", "Run All Cells")
                prompts = wait_for_all_cells(page, started)
                seconds = time.monotonic() - started
                outputs = page.locator(".jp-CodeCell .jp-OutputArea-output").all_inner_texts()
                cells = page.locator(".jp-CodeCell").count()
                page.keyboard.press("Control+s")  # save the copy (autosave is off) so its outputs can be inspected
                page.locator(".jp-mod-dirty").first.wait_for(state="detached", timeout=10_000)
            except BaseException:  # pytest.fail included: keep a picture of what the browser showed
                page.screenshot(path=str(OUT / "failure.png"))
                raise
            page.set_viewport_size({"width": 1280, "height": 4200})
            screenshot = OUT / "00_start_here.png"
            page.screenshot(path=str(screenshot))
        finally:
            browser.close()
    return Outcome(cells, prompts, outputs, seconds, screenshot)


def menu(page, title: str, item: str) -> None:
    """Click a JupyterLab main-menu entry, e.g. Run > Run All Cells."""
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=title).first.click()
    page.get_by_role("menuitem", name=item, exact=True).click()


def accept_kernel_dialog(page) -> None:
    """Accept JupyterLab's "Select Kernel" dialog if it asks (its default is the notebook's own kernel)."""
    select_kernel = page.locator(".jp-Dialog", has_text="Select Kernel").locator(".jp-mod-accept")
    if select_kernel.count() and select_kernel.first.is_visible():
        select_kernel.first.click()


def kernel_idle(page) -> bool:
    """True when the notebook's kernel indicator says Idle (it also does before a kernel is attached)."""
    return page.locator(KERNEL_IDLE).count() > 0


def kernel_connected(lab: Lab) -> bool:
    """True when the server has the notebook's kernel idle with a browser connection to it."""
    with urllib.request.urlopen(f"{lab.url}/api/sessions?token={lab.token}", timeout=10) as response:
        sessions = json.load(response)
    return any(session["path"].endswith(NOTEBOOK) and session["kernel"]["connections"] > 0
               and session["kernel"]["execution_state"] == "idle" for session in sessions)


def wait_for_idle_kernel(page, lab: Lab) -> None:
    """Wait (bounded) until the server sees the notebook's kernel connected and idle, and the page says Idle."""
    started = time.monotonic()
    while time.monotonic() - started < KERNEL_LIMIT_S:
        accept_kernel_dialog(page)
        if kernel_connected(lab) and kernel_idle(page):
            return
        page.wait_for_timeout(500)
    pytest.fail(f"the notebook's kernel was not connected and Idle after {KERNEL_LIMIT_S} s")


def wait_for_all_cells(page, started: float) -> list[str]:
    """Poll until every code cell shows [n] (none [*] or [ ]) and the kernel indicator is Idle again.

    The indicator stays busy while any cell of the Run All is still scheduled, so it also covers a cell whose
    input is collapsed (the reference solution), which shows no prompt.
    """
    prompts: list[str] = []
    clicked = started
    while time.monotonic() - started < RUN_ALL_LIMIT_S:
        accept_kernel_dialog(page)
        prompts = [p.strip() for p in page.locator(".jp-CodeCell .jp-InputPrompt").all_text_contents() if p.strip()]
        ran = all(p.strip("[]:").isdigit() for p in prompts)
        if prompts and ran and kernel_idle(page):
            return prompts
        if all(p == "[ ]:" for p in prompts) and time.monotonic() - clicked > RESCHEDULE_S:
            # nothing was scheduled (no [*]): the page had not attached the kernel yet; a learner clicks again
            print(f"\nRun All scheduled nothing within {RESCHEDULE_S} s: clicked it again", flush=True)
            menu(page, "Run", "Run All Cells")
            clicked = time.monotonic()
        page.wait_for_timeout(500)
    pytest.fail(f"cells still running or not run after {RUN_ALL_LIMIT_S} s: prompts {prompts}")


def test_every_code_cell_ran(run_all: Outcome) -> None:
    print(f"\nRun All Cells in Chromium: {run_all.cells} code cells in {run_all.seconds:.1f} s; "
          f"screenshot {run_all.screenshot}")
    numbers = [int(p.strip("[]:")) for p in run_all.prompts]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), run_all.prompts


def test_no_cell_shows_an_error(run_all: Outcome) -> None:
    errors = [text for text in run_all.outputs if any(marker in text for marker in TRACEBACK_MARKERS)]
    assert not errors, errors


def test_the_saved_copy_has_no_error_output(run_all: Outcome) -> None:
    notebook = json.loads((OUT / NOTEBOOK).read_text())
    code_cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert all(cell["execution_count"] for cell in code_cells)
    errors = [o for cell in code_cells for o in cell["outputs"] if o["output_type"] == "error"]
    assert not errors, [f"{e['ename']}: {e['evalue']}" for e in errors]


def test_the_broker_round_trips_show(run_all: Outcome) -> None:
    shown = "\n".join(run_all.outputs)
    assert "read back: key='ACC-001' value='Hello, Kafka! A deposit of 100.00'" in shown, shown
    assert "received: 'Hello, RabbitMQ! A withdrawal of 50.00'" in shown, shown


def test_a_screenshot_was_saved(run_all: Outcome) -> None:
    assert run_all.screenshot.stat().st_size > 10_000


def test_the_committed_notebook_is_untouched(run_all: Outcome) -> None:
    changed = subprocess.run(["git", "status", "--porcelain", "--", f"notebooks/{NOTEBOOK}"],
                             cwd=config.PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    assert changed == "", changed
