"""Marketing tools (to come): recommender, association rules and cross-sell, campaigns and coupons, bandits
and experiments, effect forecasts, customer insight. Algorithms work on plain data (ids, arrays, rows)
behind a thin `agent.protocols.Tool`, so they test without a server."""
