"""Shadows the standard module of the same name: the grader must never import it."""
open("@MARKER_DIR@/shadow-dis", "w").close()
print("LEAKED: the grader imported the student's dis.py")
raise SystemExit(0)
