"""numba kernels on uint64 limbs. They import nothing of the project.

Every kernel is compiled with cache=True (compiled once per machine, not at import) and
nogil=True: a service thread that verifies or proves releases the GIL, so its other threads keep
parsing and answering requests on the other core.
"""

import numba

# With the GIL released, two threads may enter parallel kernels at once. The tbb and omp threading
# layers allow that; numba's fallback, workqueue, would abort the process, so it is not accepted.
numba.config.THREADING_LAYER = "threadsafe"
