import sys

from ttvis.cli import main

sys.exit(main())
