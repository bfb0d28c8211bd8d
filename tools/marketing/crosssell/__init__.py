"""Association-rule cross-sell: once a need is met, the one complementary in-stock product the customer does not own
(`pick`: product rules, then category rules, then the catalogue's fit) and the rule files it reads (`rulebook`).
Each rule's acceptance is counted from the outcome log by `tools.marketing.outcomes`. Plain data in and out; the chat's
`tools.marketing.crosssell_tool.CrossSellTool` is the thin tool over it."""

from tools.marketing.crosssell.pick import (
    CATEGORY_RULE,
    COMPATIBLE,
    PRODUCT_RULE,
    Pick,
    RuleIndex,
    RuleRef,
    Shelf,
    best,
    rank,
)
from tools.marketing.crosssell.rulebook import RuleBook

__all__ = [
    "CATEGORY_RULE",
    "COMPATIBLE",
    "PRODUCT_RULE",
    "Pick",
    "RuleBook",
    "RuleIndex",
    "RuleRef",
    "Shelf",
    "best",
    "rank",
]
