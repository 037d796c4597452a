"""``python -m ringfence.bench [SECTION ...]``: run benchmark sections, see the package doc."""

import sys

from ringfence.bench import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
