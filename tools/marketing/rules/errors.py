"""The one error a user of rule mining can cause (a missing file, a support out of range, no baskets, no Spark);
its message is written to be shown as it is."""

from __future__ import annotations


class RulesError(ValueError):
    """A mining request that cannot be carried out; `str(error)` says why, fit to show the user."""
