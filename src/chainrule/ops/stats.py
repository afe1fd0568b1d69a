"""THE TABLE, part 2b: statistics (median, mode, cummax/cummin, logcumsumexp)."""

from __future__ import annotations
