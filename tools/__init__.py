"""Business capabilities implementing `agent.protocols.Tool`, grouped by role: `tools.commerce` (orders,
returns, products) and `tools.marketing`. A tool declares its intents, arguments, side effects and
authorization itself; the server registers it in one line."""
