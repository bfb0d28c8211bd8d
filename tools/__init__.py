"""Business capabilities implementing `agent.protocols.Tool`. Data comes through `tools.ports`."""
