"""``python -m ringfence.fuzz``: the campaign's command line (``ringfence-fuzz``)."""

import sys

from ringfence.fuzz.campaign import main

sys.exit(main())
