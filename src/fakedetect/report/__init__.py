"""The review report: an index ranking accounts by risk and one page per account.

``write_report`` writes the whole report folder; ``render_account_page`` and
``write_account_page`` produce one self-contained account page (for
``fakedetect explain --html``). Pages open offline: inline CSS, inline SVG charts and
inline JavaScript, nothing fetched.
"""

from __future__ import annotations

from fakedetect.report.pages import (
    render_account_page,
    safe_filename,
    write_account_page,
    write_report,
)

__all__ = ["render_account_page", "safe_filename", "write_account_page", "write_report"]
