"""Statistics."""

from __future__ import annotations


class StatisticsMethods:
    __slots__ = ()
