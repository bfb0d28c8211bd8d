"""The store's commerce tools: order lookup and tracking, returns under the return policy, product search.

Each tool reaches data only through the narrow repositories in `tools.commerce.ports` (implemented by
`server/db`), and only the conversation's own customer's orders.
"""
