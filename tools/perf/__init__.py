# Benchmarks: `make bench` (tools.perf.benchmarks) and `make bench-rp2`
# (tools.perf.bench_rp2, the firmware on real MicroPython in an emulated RP2040).
