"""End-to-end tests: the real server in a subprocess, real sockets, real browsers."""
