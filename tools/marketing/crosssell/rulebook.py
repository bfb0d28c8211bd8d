"""The rule sets cross-sell reads: every rule file in the rules folder (`KEFU_RULES_DIR`, written by `kefu rules
mine`), loaded once on first use and indexed. A missing folder, an empty one or a damaged file is no error: it is
logged, and offers come from the rules that did load, or from the catalogue's fit alone. A newly mined file is
read when the service restarts."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from tools.marketing.crosssell.pick import RuleIndex
from tools.marketing.rules.errors import RulesError
from tools.marketing.rules.store import RuleSet, load_rules

log = logging.getLogger(__name__)


class RuleBook:
    """The rule sets of one folder, loaded once (thread-safe) and shared."""

    def __init__(self, rules_dir: Path | None) -> None:
        self._dir = rules_dir
        self._index: RuleIndex | None = None
        self._lock = threading.Lock()

    def index(self) -> RuleIndex:
        """The loaded rules (blocking on first use: reads the files)."""
        with self._lock:
            if self._index is None:
                self._index = RuleIndex.from_rule_sets(self._load())
                products, categories = self._index.counts()
                if self._index.rule_sets:
                    log.info("cross-sell: %d product and %d category rules from %s", products, categories,
                             ", ".join(self._index.rule_sets))
            return self._index

    def _load(self) -> list[RuleSet]:
        folder = self._dir
        files = sorted(folder.glob("*.json")) if folder is not None and folder.is_dir() else []
        if not files:
            log.info("cross-sell: no rule file in %s; offers follow the catalogue's fit only "
                     "(`kefu rules mine --from-orders` mines the store's orders)", folder)
            return []
        sets: list[RuleSet] = []
        for path in files:
            try:
                sets.append(load_rules(path))
            except (RulesError, OSError) as exc:  # a damaged or foreign file: say so, use the others
                log.warning("cross-sell: skipping %s: %s", path.name, exc)
        return sets
