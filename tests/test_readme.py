"""The README's quickstart runs as written."""

import re
import warnings
from pathlib import Path


def test_quickstart_code_runs():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    code = re.search(r"## Quickstart\s+```python\n(.*?)```", readme, re.S).group(1)
    namespace = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["a"].grad != 0 and namespace["history"]["val_accuracy"][-1] > 0.9
    assert namespace["clf"].score(namespace["X"], namespace["y"]) > 0.95
