"""Side-by-side benchmark driver for uring_granian (see perf/README.md).

Standard library only, except benchkit.plots, which imports matplotlib lazily so that JSON and Markdown
output never depend on it.
"""
