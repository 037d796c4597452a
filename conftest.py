"""Root pytest configuration: hypothesis profiles shared by every suite.

- ``quick``   (default, used by ``make test``): enough examples to catch regressions fast.
- ``ci``      same as quick but derandomised, selected by ``CI=true``, so a CI run is
               reproducible from its log.
- ``long``    the deep campaign used by ``make fuzz-long``; step and time budgets come
               from the Makefile.
Select one explicitly with ``HYPOTHESIS_PROFILE=name``.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "quick",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "ci",
    parent=settings.get_profile("quick"),
    derandomize=True,
    print_blob=True,
)
settings.register_profile(
    "long",
    max_examples=100_000,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)

_default = "ci" if os.environ.get("CI") == "true" else "quick"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _default))
