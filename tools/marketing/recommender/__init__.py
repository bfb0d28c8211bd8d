"""Recommender: candidates from implicit-feedback ALS, item-item co-occurrence, repeat purchases and
trend popularity, blended; the catalogue's fit (`compatible_with` and kin); the store's business rules.

Plain data in (visits: customer, time, items; catalogue rows), plain data out (`Candidate`: item, score,
source), so it trains, evaluates and tests without a server. `kefu train recommender` writes the model
file (`Recommender.save`); the service loads it with `Recommender.load`.
"""

from tools.marketing.recommender.catalogue import Compatibility, ItemInfo
from tools.marketing.recommender.data import Visit, leave_last_visit_out, visits_from_rows
from tools.marketing.recommender.evaluate import basket_completion, next_basket
from tools.marketing.recommender.model import SOURCES, BusinessRules, Candidate, Recommender, Weights
from tools.marketing.recommender.train import TrainConfig, fit_recommender

__all__ = [
    "SOURCES",
    "BusinessRules",
    "Candidate",
    "Compatibility",
    "ItemInfo",
    "Recommender",
    "TrainConfig",
    "Visit",
    "Weights",
    "basket_completion",
    "fit_recommender",
    "leave_last_visit_out",
    "next_basket",
    "visits_from_rows",
]
