"""``python -m winrewrite``: the command line."""

import sys

from winrewrite.cli import main

sys.exit(main())
