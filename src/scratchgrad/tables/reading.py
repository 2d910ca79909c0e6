"""Reading a table the way it comes: any common delimiter, encoding, quoting, BOM and spelling of
"missing", from a CSV file (whole, or in chunks of bounded size) or from a DataFrame.

pandas does the parsing (its C reader is fast, handles quoted fields and thousands of columns,
reads in chunks, and its DataFrames go straight into scikit-learn's ColumnTransformer). What
pandas leaves to the caller is done here: the encoding is detected (a BOM, else UTF-8 if the
whole file decodes as UTF-8, else Windows-1252 / Latin-1), the delimiter is the one that splits
the first lines into the same number of fields, and duplicate or blank column names are caught
before pandas renames them silently ("age.1", "Unnamed: 3").
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..errors import MissingDependencyError
from . import TableError

MISSING_TOKENS = ["", "NA", "N/A", "n/a", "na", "NaN", "nan", "NAN", "null", "NULL", "Null", "None", "none", "?",
                  "-", "#N/A", "<NA>", "missing"]
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SAMPLE_BYTES = 1 << 16
_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")
_DECIMAL_POINT = re.compile(r"^\s*-?\d+\.\d+\s*$")


def pandas():
    try:
        import pandas
    except ImportError:
        raise MissingDependencyError("reading tables needs pandas: pip install 'scratchgrad[tables]'") from None
    return pandas


@dataclass
class CSVFormat:
    """How a CSV file is written: what `read_csv` needs to read it the same way every time."""

    encoding: str
    delimiter: str
    decimal: str
    columns: list

    def describe(self):
        decimal = ", decimal comma" if self.decimal == "," else ""
        return f"{DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}-separated, {self.encoding}{decimal}"


def detect_encoding(path: Path) -> str:
    """The file's encoding: its BOM's, else UTF-8 if every byte decodes so, else cp1252 / latin-1.

    The whole file is decoded in blocks (memory stays bounded): a single é on the last line
    of a Latin-1 file must not surface as an error after an hour of reading.
    """
    with open(path, "rb") as handle:
        start = handle.read(4)
        if start.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        for encoding in ("utf-8", "cp1252"):
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                while block := handle.read(1 << 20):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
                return encoding
            except UnicodeDecodeError:
                handle.seek(0)
    return "latin-1"  # decodes any bytes


def _check_encoding(encoding):
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise TableError(f"unknown encoding {encoding!r} (try utf-8, latin-1, cp1252 or utf-16)") from None


def _sample_lines(path, encoding):
    with open(path, encoding=encoding, errors="replace", newline="") as handle:
        text = handle.read(SAMPLE_BYTES)
        more = handle.read(1)
    if more and "\n" in text:
        text = text[:text.rindex("\n") + 1]  # no half line at the end of the sample
    return text


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the sample's lines into the most fields, the same number on every line."""
    best, best_fields = ",", 1
    for delimiter in DELIMITERS:
        rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row]
        if not rows:
            continue
        counts = {len(row) for row in rows}
        fields = len(rows[0])
        # the last sampled row may be cut short by the sample's end; every other must agree
        consistent = len({len(row) for row in rows[:-1]} or counts) == 1 and len(rows[-1]) <= fields
        if consistent and fields > best_fields:
            best, best_fields = delimiter, fields
    return best


def _sniff_decimal(text, delimiter):
    if delimiter == ",":
        return "."
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row[:200]]
    commas = sum(bool(_DECIMAL_COMMA.match(cell)) for cell in cells)
    points = sum(bool(_DECIMAL_POINT.match(cell)) for cell in cells)
    return "," if commas > points else "."


def clean_column_names(names, where) -> list:
    """Names stripped of spaces; blank ones named after their position; duplicates an error."""
    cleaned = [str(name).strip() or f"column_{i + 1}" for i, name in enumerate(names)]
    seen = {}
    for i, name in enumerate(cleaned):
        seen.setdefault(name, []).append(i + 1)
    duplicates = {name: places for name, places in seen.items() if len(places) > 1}
    if duplicates:
        listed = "; ".join(f"{name!r} (columns {', '.join(map(str, places))})" for name, places in duplicates.items())
        raise TableError(f"{where}: duplicate column names: {listed}. Rename them so that each column "
                         f"has its own name")
    return cleaned


def sniff_format(path, delimiter=None, encoding=None) -> CSVFormat:
    """Encoding, delimiter, decimal mark and column names of a CSV file (explicit ones win)."""
    path = Path(path)
    if path.is_dir():
        raise TableError(f"{path} is a folder, not a CSV file")
    if not path.is_file():
        raise TableError(f"{path}: no such file")
    encoding = _check_encoding(encoding) if encoding else detect_encoding(path)
    try:
        text = _sample_lines(path, encoding)
    except UnicodeError as error:
        raise TableError(f"{path}: cannot be read as {encoding} ({error.reason}); give the right --encoding") \
            from None
    if not text.strip():
        raise TableError(f"{path}: the file is empty")
    if delimiter is not None:
        delimiter = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}.get(delimiter, delimiter)
        if len(delimiter) != 1:
            raise TableError(f"the delimiter must be one character (or tab, comma, semicolon, pipe), got {delimiter!r}")
    else:
        delimiter = sniff_delimiter(text)
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter), [])
    columns = clean_column_names(header, path)
    return CSVFormat(encoding, delimiter, _sniff_decimal(text, delimiter), columns)


def _read_options(csv_format, usecols=None):
    options = dict(sep=csv_format.delimiter, encoding=csv_format.encoding, decimal=csv_format.decimal, header=0,
                   names=csv_format.columns, na_values=MISSING_TOKENS, keep_default_na=True,
                   skipinitialspace=True, skip_blank_lines=True, encoding_errors="strict",
                   index_col=False)  # else a row with one value too many silently shifts into an index
    if usecols is not None:
        options["usecols"] = list(usecols)
    return options


def _parser_error(error, path):
    text = str(error)
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if found:
        expected, line, saw = found.groups()
        return TableError(f"{path}, line {line}: {saw} values, but the header has {expected} columns "
                          f"(a delimiter inside an unquoted value? quote it, or give --delimiter)")
    if "EOF inside string" in text or "EOF inside" in text:
        return TableError(f"{path}: a quoted value is never closed (a stray \" in the file)")
    return TableError(f"{path}: cannot be parsed as a CSV table ({text.splitlines()[0] if text else 'unknown'})")


def read_csv(path, delimiter=None, encoding=None, usecols=None, csv_format=None):
    """The whole file as a DataFrame (column names cleaned, missing-value spellings as NaN).

    The DataFrame's `attrs["csv_format"]` says how it was read."""
    pd = pandas()
    csv_format = csv_format or sniff_format(path, delimiter, encoding)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # "loss of data": refuse it, do not warn
            frame = pd.read_csv(path, low_memory=False, **_read_options(csv_format, usecols))
    except pd.errors.ParserWarning:
        raise TableError(f"{path}: the first data row has more values than the header has columns (a "
                         f"delimiter inside an unquoted value? quote it, or give --delimiter)") from None
    except pd.errors.ParserError as error:
        raise _parser_error(error, path) from None
    except UnicodeDecodeError as error:
        raise TableError(f"{path}: cannot be read as {csv_format.encoding} ({error.reason}); give the right "
                         f"--encoding") from None
    except pd.errors.EmptyDataError:
        raise TableError(f"{path}: the file is empty") from None
    # without its column list: pandas deep-copies attrs on every operation (3,000 names made it crawl)
    frame.attrs["csv_format"] = dataclasses.replace(csv_format, columns=None)
    return frame


def read_csv_chunks(path, chunk_rows, usecols=None, csv_format=None, delimiter=None, encoding=None):
    """The file as DataFrames of at most `chunk_rows` rows each: memory bounded by the chunk, not the file."""
    pd = pandas()
    csv_format = csv_format or sniff_format(path, delimiter, encoding)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            with pd.read_csv(path, chunksize=chunk_rows, **_read_options(csv_format, usecols)) as reader:
                yield from reader
    except pd.errors.ParserWarning:
        raise TableError(f"{path}: the first data row has more values than the header has columns") from None
    except pd.errors.ParserError as error:
        raise _parser_error(error, path) from None
    except UnicodeDecodeError as error:
        raise TableError(f"{path}: cannot be read as {csv_format.encoding} ({error.reason}); give the right "
                         f"--encoding") from None


def _polars_type(data):
    """'DataFrame', 'LazyFrame', 'Series', ... for a polars object, else None."""
    return type(data).__name__ if type(data).__module__.split(".")[0] == "polars" else None


def _polars_to_pandas(data, pd):
    """`data.to_pandas()`, which needs pyarrow; without pyarrow the columns go across as lists
    (nulls as None, which pandas reads as missing), and dates become datetimes, as `to_pandas`
    makes them (left as `datetime.date` objects, the roles would read them as text)."""
    try:
        return data.to_pandas()
    except ModuleNotFoundError:
        pass
    frame = pd.DataFrame(data.to_dict(as_series=False))
    for name, dtype in data.schema.items():
        if str(dtype) == "Date":
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[ms]")
    return frame


def as_frame(data, where="the table"):
    """A pandas DataFrame from a pandas or polars DataFrame (or LazyFrame, collected; names
    cleaned and checked), or None."""
    pd = pandas()
    polars_type = _polars_type(data)
    if polars_type == "LazyFrame":
        data, polars_type = data.collect(), "DataFrame"
    if polars_type == "DataFrame":
        data = _polars_to_pandas(data, pd)
    elif polars_type is None and hasattr(data, "to_pandas") and not isinstance(data, pd.DataFrame):  # pyarrow
        data = data.to_pandas()
    if not isinstance(data, pd.DataFrame):
        return None
    frame = data.copy()
    frame.columns = clean_column_names(frame.columns, where)
    for name in frame.columns:
        column = frame[name]
        if not pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            frame[name] = column.mask(column.isin(MISSING_TOKENS))
    return frame
