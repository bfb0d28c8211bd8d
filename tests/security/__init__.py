"""The attack suite: trust boundaries (identity, tokens, roles, rate limits) as an attacker would probe them."""
