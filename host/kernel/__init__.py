"""The OS's side of a host: its own network stack on the kernel driver's VI (VI 0), the system
calls of OS sockets (copies and costs counted per process), and the host's one identity (the
neighbour table and the port space that user-level stacks share)."""
