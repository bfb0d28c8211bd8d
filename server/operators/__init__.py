"""The operator console's server side: accounts and sessions (`auth`), password hashing (`passwords`),
route dependencies (`deps`) and the live conversation feed the console watches (`console`).

Nothing here talks to the customer directly: customer-facing effects go through the agent's event log
(`Agent.record`) or the conversation's pub/sub channel, so the customer path stays the one place that
decides what a customer sees.
"""
