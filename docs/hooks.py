"""MkDocs hook: the notebooks' TeX as MathML, so formulas render with no script and no network.

mkdocs-jupyter leaves `$...$` and `$$...$$` in markdown cells for MathJax, which it would load
from a CDN. Browsers render MathML natively, so the formulas are converted at build time
(latex2mathml), inside the notebooks' markdown cells only: code and outputs are left alone.
"""

from __future__ import annotations

import html
import re

MARKDOWN_CELL = re.compile(r'(<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown[^"]*"[^>]*>)(.*?)(</div>)',
                           re.S)
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\$\\])\$(?!\$)([^\$]+?)(?<!\\)\$")


def _mathml(tex, display):
    from latex2mathml.converter import convert

    return convert(html.unescape(tex.strip()), display="block" if display else "inline")


def _convert_cell(match):
    body = DISPLAY_MATH.sub(lambda m: _mathml(m.group(1), True), match.group(2))
    body = INLINE_MATH.sub(lambda m: _mathml(m.group(1), False), body)
    return match.group(1) + body + match.group(3)


def on_page_content(html_text, page, config, files):
    if not page.file.src_uri.endswith(".ipynb"):
        return html_text
    return MARKDOWN_CELL.sub(_convert_cell, html_text)
