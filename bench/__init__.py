"""Benchmarks that print figures (issue 5 § Benchmark, issue 7 item 4). Not tests: run them by hand.

    .venv/bin/python -m bench.load      # 100k listings + 1M contracts, gunicorn, wrk per page
    .venv/bin/python -m bench.cockpit   # 1M contracts + 500 brokers: full recompute time, cockpit p50/p95
"""
