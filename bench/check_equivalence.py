#!/usr/bin/python3.11
"""Checks that bench/pytest_equivalent reaches the same per-check outcome as
the expected.json of the sample submissions (tests/data/submissions/refcount-*).

    /usr/bin/python3.11 bench/check_equivalence.py [SUBMISSION_DIR...]

error/crash/timeout/forbidden in grade count as a pytest failure.  Samples
that plain pytest cannot grade at all are left out by default:
  infinite-loop, output-flood  hang pytest (no limits without pytest-timeout;
                               the flood also grows pytest's capture buffer)
  fake-report                  os._exit(0) at import ends pytest with status 0
  abort                        os.abort() kills the pytest process (SIGABRT)
  keyboard-interrupt           KeyboardInterrupt stops the whole pytest session
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TESTS = {
    "imports": "test_imports", "returns-int": "test_returns_int", "silent": "test_silent",
    "fresh-object": "test_fresh_object", "extra-in-list": "test_extra_in_list",
    "extra-in-attributes": "test_extra_in_attributes", "hashable-in-dict": "test_hashable_in_dict",
    "grows-by-one": "test_grows_by_one",
}
SKIP_BY_DEFAULT = ("refcount-infinite-loop", "refcount-output-flood", "refcount-fake-report",
                   "refcount-abort", "refcount-keyboard-interrupt")


def pytest_outcomes(sub):
    with tempfile.TemporaryDirectory() as tmp:
        xml = os.path.join(tmp, "r.xml")
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        os.path.join(HERE, "pytest_equivalent"), "--submission", sub,
                        "--junitxml", xml], capture_output=True, timeout=60, cwd=ROOT)
        got = {}
        for tc in ET.parse(xml).getroot().iter("testcase"):
            st = "pass"
            for child in tc:
                if child.tag in ("failure", "error"):
                    st = "fail"
                elif child.tag == "skipped":
                    st = "skipped"
            got[tc.get("name")] = st
        return got


def main():
    subs = sys.argv[1:] or [d for d in sorted(glob.glob(os.path.join(ROOT, "tests/data/submissions/refcount-*")))
                            if os.path.basename(d) not in SKIP_BY_DEFAULT]
    bad = 0
    for sub in subs:
        exp = json.load(open(os.path.join(sub, "expected.json")))["checks"]
        got = pytest_outcomes(sub)
        diffs = []
        for key, want in exp.items():
            cid = key.split("/", 1)[1]
            want = "fail" if want in ("error", "crash", "timeout", "forbidden", "memory") else want
            if got.get(TESTS[cid]) != want:
                diffs.append(f"{cid}: grade {want}, pytest {got.get(TESTS[cid])}")
        bad += bool(diffs)
        print(f"{os.path.basename(sub):32s} {'same outcomes' if not diffs else '; '.join(diffs)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
