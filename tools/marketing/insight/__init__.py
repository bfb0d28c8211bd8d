"""Customer insight (issue 15): what customers' texts say they need (`needs`), for profiles and campaigns; profiles
(`profile`: RFM, segment, needs, categories, price band) and churn risk (`churn`) over plain behaviour rows
(`behaviour`); who they are across accounts (`identity_graph` on `identity_keys`, `identity_report` for display,
`identity_ports`)."""

from tools.marketing.insight.needs import NeedLexiconError, NeedTag, NeedTagger, shared_tagger

__all__ = ["NeedLexiconError", "NeedTag", "NeedTagger", "shared_tagger"]
