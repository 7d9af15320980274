"""The entry point of the command-line tools (python -m tools.sim, tools.bench).

A reader that stops early (`... | head`) closes the pipe under the tool: that
is one line on stderr and exit status 2, not a traceback."""

import os
import sys

EXIT_TROUBLE = 2


def run(main, prog, argv=None):
    """sys.exit with main(argv)'s status (default: the command line's words)."""
    try:
        code = main(sys.argv[1:] if argv is None else argv)
        sys.stdout.flush()
    except BrokenPipeError:
        # Whatever is still buffered for the closed pipe must not be flushed
        # again at exit (that would print a second error).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("%s: output closed before it ended (broken pipe)" % prog, file=sys.stderr)
        code = EXIT_TROUBLE
    sys.exit(code)
