"""``python -m rltheory``: the command line (:mod:`rltheory.cli`)."""

import sys

from rltheory.cli import main

sys.exit(main())
