"""`python -m scratchgrad` is the `scratchgrad` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
