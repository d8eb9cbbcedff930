"""Speed and scale benchmarks: build, ask latency, incremental add, rebuild, memory, txtai peer.

Run ``.venv/bin/python -m bench --help``; tables print and land as JSON in
``bench/results/``. Timings live here, never in the test suite.
"""
