"""One process-wide lock around parsing.

CPython 3.11's `ast.parse` is not safe to run in several threads at once ("SystemError: AST
constructor recursion depth mismatch"), and the libcst paths raise the process-wide recursion limit
while they run. The oracle server, Inspect's thread offloading and the scorers can all parse at the
same time, so every parse takes this lock. Parsing holds the GIL anyway: the lock costs no parallelism.
"""

import threading

PARSE_LOCK = threading.RLock()
