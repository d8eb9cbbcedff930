"""The HTTP layer: translates requests into calls of the library, and nothing else."""
