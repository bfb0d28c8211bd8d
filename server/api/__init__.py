"""HTTP routes of the public API; thin handlers over the runtime."""
