"""Running the command line inside the test process (no process start-up per call), and the
one shape every refusal must have."""

import contextlib
import io

from vectorlearn import cli


def run(*args):
    """``vectorlearn ARGS`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def refused(result, *fragments):
    """Exit status 2 and one line on stderr, naming the problem; return that line."""
    code, out, err = result
    assert code == 2, (code, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("vectorlearn: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]
