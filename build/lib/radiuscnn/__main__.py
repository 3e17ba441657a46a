"""``python -m radiuscnn``: the command line."""

import sys

from radiuscnn.cli import main

sys.exit(main())
