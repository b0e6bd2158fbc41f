# Hostile output for every report format (tests/e2e/consumers): what a
# student's code prints, raises and returns reaches JUnit, Markdown,
# workflow commands, Code Quality and Classroom JSON.
import sys

NASTY = ("NUL[\x00] ESC[\x1b[31mred\x1b[0m] BEL[\x07] CR[\r] "
         "CDATA-end[]]>] close[</failure></testcase></testsuite>] pipe[|a|b|] "
         "ticks[```] html[<script>alert(1)</script>] amp[&amp;] "
         "pct[%0A %25 %] cmd[::error::forged] nl[\n::warning file=x,line=1::forged\n] "
         "md[**bold** [link](http://x) # heading] expr[${{ secrets.TOKEN }}] "
         "surrogate[\udcff] bom[\ufeff] nonchar[\uffff]")


def _raw(data):
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


print("import says:", NASTY)
_raw(b"invalid utf-8 [\xff\xfe\xc3\x28 \xed\xa0\x80]\n")


def noisy():
    print(NASTY)
    _raw(b"more invalid [\xc0\xaf \xf8\x88\x80\x80\x80]\n")
    print(NASTY, file=sys.stderr)
    return NASTY


def raises():
    raise ValueError(NASTY + "\x00" * 10)


def huge():
    sys.stdout.write(("<x>" + NASTY + "</x>\n") * 4000)
    sys.stdout.write("Z" * (1 << 20))
    return 0


def quiet():
    return 42
