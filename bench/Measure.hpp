#pragma once
// What the benchmarks measure with: CPU clocks and heap in use.

#include <malloc.h>
#include <time.h>

namespace loa::bench {

/// Seconds on a CPU-time clock (CLOCK_PROCESS_CPUTIME_ID, a thread's clock, ...).
inline double clockSeconds(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// Bytes allocated and in use on the heap (glibc), small and large allocations alike. Unlike
/// resident memory, it does not count memory freed by an earlier measurement and reused.
inline long heapBytes() {
    const struct mallinfo2 m = mallinfo2();
    return static_cast<long>(m.uordblks + m.hblkhd);
}

}  // namespace loa::bench
