# Shadows the standard library's json: if the grader ever imported it from the
# submission, this would end the check child at once.
import os
import sys

sys.stderr.write("shadow json.py imported\n")
os._exit(3)
