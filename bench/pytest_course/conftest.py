"""pytest plumbing for bench/pytest_course, the pytest equivalent of the
shipped course (rubrics/course.yaml: refcount, bytecode, memprof, deepsize).

The submission directory comes from --submission DIR, else from the
GRADE_SUBMISSION environment variable.  It must hold refcount.py,
bytecode.py, memprof.py and deepsize.py.

What a careful course would add to plain pytest to grade untrusted files,
and what grade does too, kept as small as possible:

* every student module is imported afresh for every test (a new module
  object, as grade runs the module afresh in its check child);
* a time limit per test: the rubric's ``limits.time`` of the exercise,
  with SIGALRM (what pytest-timeout's "signal" method does); once a test of
  an exercise has timed out, the later tests of that exercise are skipped
  (grade's rule: a hung callable costs its limit once per exercise);
* standard output of student code goes to a buffer capped at 64 KiB (the
  rubric's default ``output`` limit), so that a print loop cannot fill the
  disk; tests that check "prints nothing" read that buffer;
* ``depends_on``: a test marked ``@pytest.mark.depends_on("name")`` is
  skipped when the test ``name`` of the same file did not pass (grade skips
  dependent checks the same way);
* KeyboardInterrupt and SystemExit raised by student code fail the test
  instead of stopping the session (``student_call``).
"""
import importlib.util
import io
import os
import signal
import sys

import pytest

# The rubrics' limits.time per exercise (rubrics/*.yaml), in seconds.
TIME_LIMITS = {"refcount": 2.0, "bytecode": 5.0, "memprof": 5.0, "deepsize": 3.0}
OUTPUT_LIMIT = 64 * 1024


def pytest_addoption(parser):
    parser.addoption("--submission", action="store", default=None,
                     help="directory holding the student's four exercise files")


def pytest_configure(config):
    config.addinivalue_line("markers", "depends_on(name): skip unless test NAME passed")
    config.addinivalue_line("markers", "calls_nothing: runs no student code (not skipped after a hang)")


@pytest.fixture(scope="session")
def submission_dir(request):
    d = request.config.getoption("--submission") or os.environ.get("GRADE_SUBMISSION")
    if not d:
        pytest.exit("pass --submission DIR or set GRADE_SUBMISSION", returncode=2)
    return os.path.abspath(d)


# ---- time limits, and a hang costing its limit once per exercise ----------

class CheckTimeout(BaseException):
    """Raised by SIGALRM when a test runs past its exercise's limit."""


def _exercise(item):
    return item.module.__name__.rsplit(".", 1)[-1].replace("test_", "", 1)


def _on_alarm(signum, frame):
    raise CheckTimeout("the test ran past its time limit")


_hung = {}        # exercise -> (the test that timed out, at import?)
_passed = set()   # (exercise, test name) of the tests that passed
_outcomes = {}    # "exercise/check-id" -> pass, fail or skip (GRADE_BENCH_OUTCOMES)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    limit = TIME_LIMITS.get(_exercise(item), 5.0)
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and call.excinfo.errisinstance(CheckTimeout):
        # a hang at import (setup imports the module) stops the whole exercise
        _hung.setdefault(_exercise(item), (item.name, call.when == "setup" or item.name == "test_imports"))
    if report.when == "call" and report.passed:
        _passed.add((_exercise(item), item.name))
    if os.environ.get("GRADE_BENCH_OUTCOMES"):
        key = _exercise(item) + "/" + item.name.replace("test_", "", 1).replace("_", "-")
        state = "skip" if report.skipped else "fail" if report.failed else "pass"
        if (call.excinfo is not None and call.excinfo.errisinstance(CheckTimeout)) or (
                report.skipped and "not run:" in str(report.longrepr)):
            state = "timeout"     # timed out, or not run after a hang (as grade says)
        if (report.when == "setup" and not report.passed) or report.when == "call" \
                or (report.when == "teardown" and report.failed):
            _outcomes[key] = state

def pytest_sessionfinish(session):
    """With GRADE_BENCH_OUTCOMES=FILE: each check's outcome, as JSON (used by
    bench/course --check to compare with grade; off when benchmarking)."""
    path = os.environ.get("GRADE_BENCH_OUTCOMES")
    if path:
        import json
        with open(path, "w") as f:
            json.dump(_outcomes, f, indent=1, sort_keys=True)


@pytest.fixture(autouse=True)
def _gate(request):
    """Skips a test after a hang in its exercise, or when a dependency failed."""
    ex = _exercise(request.node)
    if ex in _hung and (_hung[ex][1] or not request.node.get_closest_marker("calls_nothing")):
        pytest.skip(f"not run: {ex} hung in {_hung[ex][0]}")
    for mark in request.node.iter_markers("depends_on"):
        for name in mark.args:
            if (ex, "test_" + name.replace("-", "_")) not in _passed:
                pytest.skip(f"skipped: it depends on '{name}', which did not pass")


# ---- standard output: captured and capped ---------------------------------

class OutputLimit(Exception):
    pass


class CappedOutput(io.TextIOBase):
    def __init__(self):
        self.parts, self.size = [], 0

    def writable(self):
        return True

    def write(self, s):
        self.size += len(s)
        if self.size > OUTPUT_LIMIT:
            raise OutputLimit(f"more than {OUTPUT_LIMIT} bytes of output")
        self.parts.append(s)
        return len(s)

    def text(self):
        return "".join(self.parts)

    def take(self):
        t = self.text()
        self.parts, self.size = [], 0
        return t


def _capped(phase):
    """sys.stdout is the test's capped buffer while the phase runs.  Innermost
    (trylast), so that it applies after pytest's own capture has set
    sys.stdout for the phase."""
    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def wrapper(item):
        cap = item.__dict__.setdefault("_grade_stdout", CappedOutput())
        saved, sys.stdout = sys.stdout, cap
        try:
            yield
        finally:
            sys.stdout = saved
    wrapper.__name__ = f"pytest_runtest_{phase}"
    return wrapper


pytest_runtest_setup = _capped("setup")
pytest_runtest_call = _capped("call")


@pytest.fixture
def stdout(request):
    """What student code printed to sys.stdout in this test (at most 64 KiB)."""
    return request.node.__dict__.setdefault("_grade_stdout", CappedOutput())


# ---- the student's modules -------------------------------------------------

def import_student(submission_dir, name):
    """Imports DIR/name.py afresh (a new module object each time)."""
    path = os.path.join(submission_dir, name + ".py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def student_call(f, *args, **kwargs):
    """f(*args, **kwargs) for student code: KeyboardInterrupt and SystemExit
    fail the test instead of ending the session; a timeout stays a timeout."""
    try:
        return f(*args, **kwargs)
    except (KeyboardInterrupt, SystemExit) as e:
        pytest.fail(f"{getattr(f, '__name__', f)!s} raised {type(e).__name__}")


def load(submission_dir, name):
    """The student's module for a test: import errors, SystemExit included,
    fail the test rather than stop the run."""
    try:
        return import_student(submission_dir, name)
    except CheckTimeout:
        raise
    except SystemExit as e:
        pytest.fail(f"sys.exit({e.code!r}) was called while importing {name}.py")
    except BaseException as e:  # noqa: BLE001 - a grader reports everything
        pytest.fail(f"importing {name}.py raised {type(e).__name__}: {e}")


def import_check(submission_dir, name, stdout):
    """The exercise's 'imports' check: imports cleanly, prints nothing."""
    load(submission_dir, name)
    assert stdout.take() == "", (f"Importing {name}.py must not print anything; "
                                 "remove top-level print() calls.")
