import pytest
from threadpoolctl import threadpool_limits

# One BLAS thread: on a busy 2-core machine a multithreaded BLAS waits for a free core at every
# call, which made single fits 20 times slower here; the tests' arrays are small anyway.
threadpool_limits(1)

torch = pytest.importorskip("torch")
torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)
