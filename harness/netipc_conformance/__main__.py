import sys

from netipc_conformance.cli import main

sys.exit(main())
