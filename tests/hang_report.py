"""When a test runs past pytest-timeout's limit, say which test and where it waits, at the end.

pytest-timeout's own thread-method report prints every thread's stack. For a browser test that
is not enough: Playwright's sync API runs the test in one greenlet and its event loop in
another on the same thread, so the main thread's stack shows only the event loop waiting, and
the name of the test has scrolled far up by the time the stacks end. This report prints the
stacks of the suspended greenlets too (the test's own lines among them) and names the test on
the last lines, so that the tail of a CI log is enough to find a hang.
"""
import gc
import os
import sys
import threading
import traceback

import pytest


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


def report_hang(item, settings):
    terminal = item.config.get_terminal_writer()
    try:
        capman = item.config.pluginmanager.getplugin("capturemanager")
        if capman:
            capman.suspend_global_capture(item)
        terminal.sep("+", title="Timeout after %d s" % settings.timeout)
        frames = sys._current_frames()
        for thread in threading.enumerate():
            if thread.ident in frames:
                terminal.sep("~", title="Thread %s" % thread.name)
                terminal.write("".join(traceback.format_stack(frames[thread.ident])))
        greenlets = _greenlet_stacks()
        for stack in greenlets:
            terminal.sep("~", title="Suspended greenlet")
            terminal.write("".join(stack))
        terminal.sep("+", title="Hung test")
        terminal.write("%s\n" % item.nodeid)
        terminal.write("".join(_test_lines(item, greenlets + [traceback.format_stack(frame)
                                                              for frame in frames.values()])))
    except Exception:
        traceback.print_exc()
    finally:
        terminal.flush()
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
