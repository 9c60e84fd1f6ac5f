"""When a test runs past pytest-timeout's limit, say which test and where it waits, at the end.

pytest-timeout's own thread-method report prints every thread's stack. For a browser test that
is not enough: Playwright's sync API runs the test in one greenlet and its event loop in
another on the same thread, so the main thread's stack shows only the event loop waiting, and
the name of the test has scrolled far up by the time the stacks end. This report prints the
stacks of the suspended greenlets too (the test's own lines among them) and names the test on
the last lines, so that the tail of a CI log is enough to find a hang.

When the tests run in parallel, a hung worker's output reaches no terminal: it writes the
report to test-artifacts/hang-<worker>.txt before it ends itself, and the main process adds
that file to the failure of the test the worker was running.
"""
import gc
import os
import pathlib
import sys
import threading
import traceback

import pytest

ARTIFACTS = pathlib.Path(__file__).resolve().parent.parent / "test-artifacts"


def _greenlet_stacks():
    try:
        import greenlet
    except ImportError:
        return []
    stacks = []
    for candidate in gc.get_objects():
        if isinstance(candidate, greenlet.greenlet) and candidate.gr_frame is not None:
            stacks.append(traceback.format_stack(candidate.gr_frame))
    return stacks


def _test_lines(item, stacks):
    """The frames of the test's own file, innermost last."""
    path = str(item.path)
    return [line for stack in stacks for line in stack if path in line]


def _hang_file(worker):
    """Where a parallel worker leaves its hang report for the main process."""
    return ARTIFACTS / ("hang-%s.txt" % worker)


class _FileWriter:
    """What the report needs of pytest's terminal writer, writing to a file instead."""

    def __init__(self, handle):
        self._handle = handle

    def sep(self, char, title):
        self._handle.write(" {} ".format(title).center(80, char) + "\n")

    def write(self, text):
        self._handle.write(text)

    def flush(self):
        self._handle.flush()


def _write_report(out, item, settings):
    """Every thread's stack and every suspended greenlet's, then the hung test and its own lines."""
    out.sep("+", title="Timeout after %d s" % settings.timeout)
    frames = sys._current_frames()
    for thread in threading.enumerate():
        if thread.ident in frames:
            out.sep("~", title="Thread %s" % thread.name)
            out.write("".join(traceback.format_stack(frames[thread.ident])))
    greenlets = _greenlet_stacks()
    for stack in greenlets:
        out.sep("~", title="Suspended greenlet")
        out.write("".join(stack))
    out.sep("+", title="Hung test")
    out.write("%s\n" % item.nodeid)
    out.write("".join(_test_lines(item, greenlets + [traceback.format_stack(frame) for frame in frames.values()])))


def report_hang(item, settings):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    try:
        if worker:
            with open(_hang_file(worker), "w") as handle:
                handle.write(item.nodeid + "\n")  # which test the report is about, for the main process
                _write_report(_FileWriter(handle), item, settings)
        else:
            terminal = item.config.get_terminal_writer()
            capman = item.config.pluginmanager.getplugin("capturemanager")
            if capman:
                capman.suspend_global_capture(item)
            _write_report(terminal, item, settings)
            terminal.flush()
    except Exception:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item, settings):
    """pytest-timeout's thread method, with report_hang as what happens when time is up."""
    if settings.method != "thread":
        return None
    timer = threading.Timer(settings.timeout, report_hang, (item, settings))
    timer.name = "hang report %s" % item.nodeid
    timer.daemon = True
    item.cancel_timeout = timer.cancel
    timer.start()
    return True


@pytest.hookimpl(optionalhook=True)
def pytest_handlecrashitem(crashitem, report, sched):
    """A parallel worker ended while running crashitem: add its hang report, if it wrote one."""
    path = _hang_file(report.node.gateway.id)
    if not path.exists():
        return None
    nodeid, _, text = path.read_text().partition("\n")
    path.unlink()
    if nodeid == crashitem:
        report.longrepr = "%s\n%s" % (report.longrepr, text)
    return None
