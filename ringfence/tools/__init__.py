"""Stand-alone tools on the Ringfence contracts and models: ``python -m ringfence.tools.<name>``."""
