"""PDFs built by several threads of one worker at once."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# In a fresh interpreter, as gunicorn's master before it forks the workers: import the app, then let eight threads
# ask ReportLab for a colour by name at the same moment, as eight table cells of eight PDFs would.
SCRIPT = """
import sys, threading
import app
from reportlab.lib import colors
filled_at_import = "black" in (colors._namedColors or {})
sys.setswitchinterval(1e-6)
barrier, failures = threading.Barrier(8), []
def draw():
    barrier.wait()
    try:
        colors.toColor("black")
    except ValueError as error:
        failures.append(error)
threads = [threading.Thread(target=draw) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(filled_at_import, len(failures))
"""


def test_reportlab_s_named_colours_are_filled_before_any_thread_draws():
    """ReportLab fills its table of named colours on first use without a lock; a thread asking meanwhile got
    "Invalid color value 'black'" and its PDF a 500 (under `make bench-postgres`, 4 December). The app fills the
    table when it is imported, so no worker's threads ever race to fill it."""
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "0"]
