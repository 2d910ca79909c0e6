import pytest

torch = pytest.importorskip("torch")
torch.set_default_dtype(torch.float64)
