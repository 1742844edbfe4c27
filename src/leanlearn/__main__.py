import sys

from leanlearn.cli import main

sys.exit(main())
