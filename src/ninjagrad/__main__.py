import sys

from ninjagrad.cli import main

sys.exit(main())
