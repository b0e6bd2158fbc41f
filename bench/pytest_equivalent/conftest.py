"""pytest plumbing for the pytest equivalent of rubrics/refcount.yaml.

The submission directory comes from --submission DIR, else from the
GRADE_SUBMISSION environment variable.
"""
import importlib.util
import os
import sys

import pytest


def pytest_addoption(parser):
    parser.addoption("--submission", action="store", default=None,
                     help="directory holding the student's refcount.py")


@pytest.fixture(scope="session")
def submission_dir(request):
    d = request.config.getoption("--submission") or os.environ.get("GRADE_SUBMISSION")
    if not d:
        pytest.exit("pass --submission DIR or set GRADE_SUBMISSION", returncode=2)
    return os.path.abspath(d)


def import_student(submission_dir, name="refcount"):
    """Imports DIR/name.py afresh (a new module object each time, as each
    grade check runs the module in a fresh child)."""
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


@pytest.fixture
def student(submission_dir):
    """The student's module, imported afresh for every test (import errors,
    SystemExit included, make the test fail rather than stop the run)."""
    try:
        return import_student(submission_dir)
    except SystemExit as e:
        pytest.fail(f"sys.exit({e.code!r}) was called while importing refcount.py")
    except BaseException as e:  # noqa: BLE001 - a grader reports everything
        pytest.fail(f"importing refcount.py raised {type(e).__name__}: {e}")
