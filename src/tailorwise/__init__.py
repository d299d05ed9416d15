"""tailorwise: a personalized marketing engine."""

import os

# Before torch (and its OpenMP runtime) is loaded by any model: OpenMP worker threads that
# spin while they wait make torch several times slower on a busy machine with few cores.
# ``setdefault`` keeps whatever the user set.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
