"""vectorlearn's benchmark suite: ``python -m benchmarks [--quick]``.

Each case times vectorlearn and its peers in the same process run, interleaved, and reports the
median of several repeats and the ratios. The full run writes ``BENCHMARKS.md``.
"""
