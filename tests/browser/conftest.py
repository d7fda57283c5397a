"""Browser tests: Debian's Chromium, driven by Playwright, against the app served on 127.0.0.1.

They run in `make test` with everything else; select them with `-m browser`, leave them out
with `-m "not browser"`. Chromium is installed by deploy/bootstrap/install.sh; Playwright
cannot download browsers here, so it drives /usr/bin/chromium.

The app is served by Django's threaded live server without pytest-django's `live_server`:
that one flushes every table after the test, which would take alpha, beta, the public tenant
and the seeded plans with it. Here the test's writes are committed (the server's threads must
see them) and each test removes exactly what it made.

Every page a test visits is checked by axe-core (`axe_check`: no violation of WCAG 2.1 A and AA
or of axe's best practices) and photographed at desktop and phone width (`pages_photographed`).
axe-core comes from npm at the version locked in tests/browser/package-lock.json.

Two checks come with the fixtures, so that every test has them without asking:

- a photographed page must fit its window: at a phone's 390 px nothing may make the page scroll
  sideways (`screenshot` and `pages_photographed` fail the test, naming what sticks out);
- no page of the `chromium` browser (or the `page` fixture) may log a JavaScript error: a console
  error, a script refused by the Content-Security-Policy, a failed load, an uncaught exception.
  They fail the test when it ends. A test that provokes one on purpose says which, by message:
  `@pytest.mark.console_errors_expected(r"status of 403")`; every error must match one of its
  patterns and every pattern must match an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import pytest
from pytest_django import DjangoDbBlocker, Settings

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        ConsoleMessage,
        Error,
        Page,
        Route,
        ViewportSize,
    )


CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
AXE_SCRIPT = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
# What axe checks: WCAG 2.0 and 2.1, levels A and AA, and axe's own best practices.
AXE_RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
# Where a page fetches axe-core from: its own host, so that the page's Content-Security-Policy
# (script-src 'self') lets it run, and a test of that policy sees no violation. The server never
# sees this address; Playwright answers it with the file from node_modules.
AXE_URL_PATH = "/__axe-core__/axe.min.js"
DESKTOP_WIDTH = 1280
# Waits on a machine busy with other work: an assertion's, and a page load's (the server's
# first answer imports the URL maps' views).
EXPECT_TIMEOUT_MS = 15_000
NAVIGATION_TIMEOUT_MS = 60_000
PHONE_VIEWPORT: ViewportSize = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    # Every *.localhost host is this machine, whatever the resolver says about IPv6.
    "--host-resolver-rules=MAP localhost 127.0.0.1, MAP *.localhost 127.0.0.1",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives Chromium through the real pages (select with -m browser)"
    )
    config.addinivalue_line(
        "markers",
        "console_errors_expected(*patterns): a browser test that makes its pages log JavaScript "
        "errors on purpose; each error must match one of the patterns (regular expressions, "
        "searched in the message) and each pattern must match an error",
    )
    _browser_tests_need_the_database()


CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keeps whether the test itself failed, for the fixtures' checks at its end."""
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


def _browser_tests_need_the_database() -> None:
    """pytest-django creates the test database only for the databases that the collected tests
    declare, through the `django_db` mark or the `db` fixtures, and both wrap the test in a
    transaction (rolled back, or flushed) that the server's threads could not see through. So
    browser tests declare the default database here instead, for `pytest -m browser` alone."""
    from pytest_django import fixtures

    declared = fixtures._get_databases_for_test

    def databases_for_test(test: pytest.Item) -> tuple[Any, bool]:
        if test.get_closest_marker("browser") is not None:
            return ("default",), False
        return declared(test)

    fixtures._get_databases_for_test = databases_for_test


@dataclass
class Platform:
    """The app as a browser reaches it."""

    port: int

    def url(self, path: str = "/", *, slug: str | None = None) -> str:
        host = f"{slug}.localhost" if slug else "localhost"
        return f"http://{host}:{self.port}{path}"


@pytest.fixture
def chromium(platform: Platform, request: pytest.FixtureRequest) -> Iterator[Browser]:
    """Chromium, closed before the server stops (its kept-alive connections end first).

    Every page it opens is watched for JavaScript errors; any the test did not declare with
    `console_errors_expected` fail it when it ends, each with the page it came from."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run deploy/bootstrap/install.sh (Debian's chromium).")
    from playwright.sync_api import expect, sync_playwright

    # A page that takes a few seconds to post twenty gifts is slow on a busy machine, not broken.
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    errors: list[BrowserError] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        _errors_recorded(browser, errors)
        try:
            yield browser
        finally:
            browser.close()
    expected = request.node.get_closest_marker("console_errors_expected")
    # A test that failed may have stopped before provoking what its marker names: only the
    # errors it did not expect are worth adding to its failure.
    call_failed = request.node.stash.get(CALL_FAILED, False)
    problem = _unexpected_errors(errors, expected, all_expected_happen=not call_failed)
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture
def page(chromium: Browser) -> Page:
    """A page of its own in `chromium` at desktop width, watched like every page of it."""
    page = chromium.new_page()
    page.set_viewport_size({"width": DESKTOP_WIDTH, "height": 900})
    return page


# --- JavaScript errors: console errors and uncaught exceptions ---


@dataclass(frozen=True)
class BrowserError:
    """A console message of type error, or an exception no script caught, with where it was."""

    page_url: str
    source: str
    message: str

    def __str__(self) -> str:
        return f"- on {self.page_url} (from {self.source}): {self.message}"


def _errors_recorded(browser: Browser, errors: list[BrowserError]) -> None:
    """Every page the browser opens, through new_page, new_context or a page opening another,
    adds its console errors and uncaught exceptions to `errors`."""

    def watched(page: Page) -> None:
        def console(message: ConsoleMessage) -> None:
            if message.type == "error":
                where = message.location
                source = (
                    f"{where['url']}:{where['lineNumber']}:{where['columnNumber']}"
                    if where.get("url")
                    else "the page"
                )
                errors.append(BrowserError(page.url, source, message.text))

        def uncaught(error: Error) -> None:
            errors.append(BrowserError(page.url, "an uncaught exception", str(error)))

        page.on("console", console)
        page.on("pageerror", uncaught)

    new_context, new_page = browser.new_context, browser.new_page

    def context_watched(*args: Any, **kwargs: Any) -> BrowserContext:
        context = new_context(*args, **kwargs)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        context.on("page", watched)
        return context

    def page_watched(*args: Any, **kwargs: Any) -> Page:
        page = new_page(*args, **kwargs)
        page.context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        watched(page)
        page.context.on("page", watched)
        return page

    # The sync API's new_page makes its context inside the driver, not through new_context, so
    # both are wrapped; assigning to the instance shadows the methods of this browser only.
    browser.new_context = context_watched  # type: ignore[method-assign]  # watched contexts
    browser.new_page = page_watched  # type: ignore[method-assign]  # watched pages


def _unexpected_errors(
    errors: list[BrowserError], expected: pytest.Mark | None, *, all_expected_happen: bool = True
) -> str:
    """What is wrong with the errors a test's pages logged, given its marker; empty if nothing.

    Without the marker any error is wrong. With it, an error that matches none of its patterns
    is wrong, and so is a pattern that matches no error (the error it names no longer happens,
    so the marker no longer says anything true)."""
    patterns = [re.compile(pattern) for pattern in expected.args] if expected else []
    if expected is not None and not patterns:
        return "console_errors_expected needs the pattern of each error the test provokes"
    unexpected = [e for e in errors if not any(p.search(e.message) for p in patterns)]
    unmatched = [
        p.pattern
        for p in patterns
        if all_expected_happen and not any(p.search(e.message) for e in errors)
    ]
    lines = []
    if unexpected:
        lines.append(
            f"{len(unexpected)} JavaScript error(s) in the browser (a test that provokes one "
            "on purpose marks it with console_errors_expected and its pattern):"
        )
        lines.extend(str(error) for error in unexpected)
    if unmatched:
        lines.append(
            "console_errors_expected names errors that did not happen: "
            + ", ".join(repr(pattern) for pattern in unmatched)
        )
    return "\n".join(lines)


@pytest.fixture
def platform(
    django_db_blocker: DjangoDbBlocker, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Platform]:
    """The app on 127.0.0.1 (a threaded server), database access open and writes committed.

    Links in emails and the progress page carry the server's port (PLATFORM_PORT).
    """
    from django.contrib.staticfiles.handlers import StaticFilesHandler

    # Playwright's sync API keeps an event loop in this thread; the ORM calls made here between
    # browser steps are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # The URL maps import every page's views: done here once, not inside the first page load
    # that a test waits for.
    import saas_platform.urls_public
    import saas_platform.urls_tenant  # noqa: F401

    with django_db_blocker.unblock():
        server = _server_thread_class()("127.0.0.1", StaticFilesHandler)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise server.error
        settings.PLATFORM_PORT = str(server.port)
        try:
            yield Platform(port=server.port)
        finally:
            server.terminate()
            server.httpd.connections_closed()


def _server_thread_class() -> type[Any]:
    """Django's live server thread, serving with a server that closes the connections it
    holds when it stops (ClosingServer)."""
    import contextlib
    import socket
    import threading
    import time

    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    class ClosingServer(ThreadedWSGIServer):
        """Each connection is served by a thread of its own until its client hangs up, and a
        client may keep one open between requests (Chromium, the fake Stripe sending
        webhooks) long after the test: stopping the server closes the connections it still
        holds, and waits for their threads to close their database connections (one left open
        would keep the test database from being dropped)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.held: dict[threading.Thread, socket.socket] = {}
            self.held_lock = threading.Lock()

        def process_request_thread(
            self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
        ) -> None:
            with self.held_lock:
                # A TCP server's request is its connection's socket.
                self.held[threading.current_thread()] = (
                    request if isinstance(request, socket.socket) else request[1]
                )
            try:
                super().process_request_thread(request, client_address)
            finally:
                with self.held_lock:
                    self.held.pop(threading.current_thread(), None)

        def connections_closed(self, seconds: float = 5) -> None:
            with self.held_lock:
                held = list(self.held.items())
            for _, request in held:
                with contextlib.suppress(OSError):  # closed meanwhile
                    request.shutdown(socket.SHUT_RDWR)  # a waiting read returns: the thread ends
            deadline = time.monotonic() + seconds
            for thread, _ in held:
                thread.join(timeout=max(0.0, deadline - time.monotonic()))

    class ServerThread(LiveServerThread):
        server_class = ClosingServer

    return ServerThread


@pytest.fixture
def celery_worker(platform: Platform) -> Iterator[None]:
    """A real Celery worker (a thread fed through Redis), so that provisioning runs apart from
    the request, as in production, and the progress page has something to follow. Tests
    elsewhere run tasks eagerly."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun

    from saas_platform.celery import app

    app.conf.task_always_eager = False
    queues = "default,provisioning,imports,email,webhooks"  # every queue (settings)
    with app.connection_for_write() as connection:
        for queue in queues.split(","):
            connection.default_channel.queue_purge(queue)
    task_postrun.connect(_close_connections)
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=queues
        ):
            yield
    finally:
        task_postrun.disconnect(_close_connections)
        app.conf.task_always_eager = True


def _close_connections(**kwargs: Any) -> None:
    # In the worker's thread, after each task: a connection left open there would keep the
    # test database from being dropped at the end of the run.
    from django.db import connections

    connections.close_all()


def screenshot(page: Page, name: str) -> Path:
    """The whole page at its window's width, as <name>.png in var/test-artifacts/; fails the
    test if the page is wider than the window (taken first, to look at)."""
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page_fits_its_window(page, context=f"{name} (see {path.name})")
    return path


def pages_photographed(page: Page, name: str) -> tuple[Path, Path]:
    """The whole page at desktop width and at a phone's (390 x 844), as <name>-desktop.png and
    <name>-phone.png in var/test-artifacts/; the page's viewport is restored after.

    Fails the test when the page is wider than the phone (it would scroll sideways there),
    naming the elements that stick out; the photographs are taken first, to look at."""
    viewport = page.viewport_size or {"width": DESKTOP_WIDTH, "height": 800}
    desktop = ARTIFACTS / f"{name}-desktop.png"
    phone = ARTIFACTS / f"{name}-phone.png"
    try:
        page.set_viewport_size({"width": DESKTOP_WIDTH, "height": viewport["height"]})
        page.screenshot(path=str(desktop), full_page=True)
        page.set_viewport_size(PHONE_VIEWPORT)
        page.screenshot(path=str(phone), full_page=True)
        page_fits_its_window(page, context=f"{name} at a phone's width (see {phone.name})")
    finally:
        page.set_viewport_size(viewport)
    return desktop, phone


def page_checked(page: Page, name: str, *, context: str = "") -> None:
    """The page as it stands: axe finds nothing at desktop width nor at a phone's, it fits the
    phone's width, and it is photographed at both (`pages_photographed`). `context` names the
    page in a failure (its photographs' `name` by default)."""
    context = context or name
    axe_check(page, context=context)
    pages_photographed(page, name)
    viewport = page.viewport_size
    page.set_viewport_size(PHONE_VIEWPORT)
    try:
        axe_check(page, context=f"{context}, at a phone's width")
    finally:
        if viewport:
            page.set_viewport_size(viewport)


class WindowFit(TypedDict):
    scrollWidth: int
    innerWidth: int
    wide: list[str]


# How wide the page is against its window, and the first few elements that stick out on the
# right, as tag#id.class: what a failure names so that one knows where to look. An element
# inside a box that scrolls on its own (a wide table in its wrapper) does not widen the page.
WIDER_THAN_THE_WINDOW = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (element) => {
    for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
      if (["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(box).overflowX)) {
        return true;
      }
    }
    return false;
  };
  const wide = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0 && !scrolls(element)) {
      const id = element.id ? "#" + element.id : "";
      const classes = typeof element.className === "string" && element.className.trim()
        ? "." + element.className.trim().split(/\\s+/).join(".") : "";
      const right = Math.round(box.right);
      wide.push(`${element.tagName.toLowerCase()}${id}${classes} (right edge ${right} px)`);
      if (wide.length === 5) break;
    }
  }
  return {
    scrollWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    innerWidth: width,
    wide: wide,
  };
}"""


def page_fits_its_window(page: Page, *, context: str = "") -> None:
    """Fails the test when the page as it is now is wider than its window, so that it would
    scroll sideways; `context` names the page (or its state) in the failure."""
    fit: WindowFit = page.evaluate(WIDER_THAN_THE_WINDOW)
    if fit["scrollWidth"] > fit["innerWidth"]:
        pytest.fail(
            f"{context or 'the page'} ({page.url}) is {fit['scrollWidth']} px wide in a "
            f"{fit['innerWidth']} px window, so it scrolls sideways. Sticking out: "
            + (", ".join(fit["wide"]) or "no single element"),
            pytrace=False,
        )


# --- Accessibility: axe-core ---


class AxeViolation(TypedDict):
    """One rule that axe found broken, as the page reports it (the first few elements only)."""

    id: str
    impact: str | None
    help: str
    helpUrl: str
    nodes: int
    targets: list[str]


AXE_RUN = """(tags) => axe.run(document, {runOnly: tags}).then((results) =>
  results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    helpUrl: violation.helpUrl,
    nodes: violation.nodes.length,
    targets: violation.nodes.slice(0, 3).map((node) => node.target.flat().join(" >>> ")),
  })))"""


def axe_check(page: Page, *, context: str = "") -> None:
    """Fails the test unless axe-core finds no violation of WCAG 2.1 A and AA or of its best
    practices on the page as it is now. `context` names the page (or its state) in the failure."""
    if not AXE_SCRIPT.exists():
        pytest.fail(
            f"{AXE_SCRIPT} is missing: run `npm ci --prefix tests/browser` "
            "(deploy/bootstrap/install.sh does)."
        )
    if not page.evaluate("typeof window.axe === 'object'"):
        _axe_injected(page)
    violations: list[AxeViolation] = page.evaluate(AXE_RUN, AXE_RULE_TAGS)
    if violations:
        pytest.fail(_axe_report(violations, where=context or page.url), pytrace=False)


def _axe_injected(page: Page) -> None:
    origin = page.evaluate("location.origin")
    if not origin.startswith("http"):  # a page of set_content(): no policy to satisfy
        page.add_script_tag(path=AXE_SCRIPT)
        return
    url = origin + AXE_URL_PATH

    def answer(route: Route) -> None:
        route.fulfill(path=AXE_SCRIPT, content_type="text/javascript")

    page.route(url, answer)
    try:
        page.add_script_tag(url=url)
    finally:
        page.unroute(url, answer)


def _axe_report(violations: list[AxeViolation], *, where: str) -> str:
    lines = [f"axe-core found {len(violations)} violation(s) on {where}:"]
    for violation in violations:
        more = violation["nodes"] - len(violation["targets"])
        targets = ", ".join(violation["targets"]) + (f" and {more} more" if more else "")
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"    at {targets}")
        lines.append(f"    {violation['helpUrl']}")
    return "\n".join(lines)


__all__ = [
    "ARTIFACTS",
    "BrowserError",
    "Platform",
    "axe_check",
    "page_checked",
    "page_fits_its_window",
    "pages_photographed",
    "screenshot",
]
