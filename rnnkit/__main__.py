"""`python -m rnnkit ...`: the command line (`rnnkit.cli`)."""
import sys

from rnnkit.cli import main

sys.exit(main())
