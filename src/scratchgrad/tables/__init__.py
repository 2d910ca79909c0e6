"""Tables as practitioners have them: reading messy CSVs, deciding what each column is,
preprocessing them into numbers (and back out as ONNX), for the command line and the API.

    reading.py        CSV / DataFrame in: encoding, delimiter, header checks, chunks
    roles.py          which columns are numeric, categorical, skipped; the target and its task
    splits.py         stratified splits that keep rare classes on the training side
    preprocessing.py  imputation, one-hot, scaling: fitted by scikit-learn, kept as plain data
    model.py          the preprocessing and the target encoding around a network, as JSON
    onnx_export.py    the preprocessing and the network as one ONNX graph
"""

from ..errors import ScratchgradError


class TableError(ScratchgradError, ValueError):
    """A table that cannot be used as asked; the message names the file, column or row."""
