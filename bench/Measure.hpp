#pragma once
// What the benchmarks measure with: CPU clocks, heap in use, quantiles; and free loopback ports.

#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "net/UdpSocket.hpp"

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

/// The value below which a fraction `q` of `samples` lies (0 for none).
inline double quantile(std::vector<double> samples, double q) {
    if (samples.empty()) return 0;
    std::sort(samples.begin(), samples.end());
    return samples[std::min(samples.size() - 1, static_cast<size_t>(q * static_cast<double>(samples.size())))];
}

/// A UDP port on 127.0.0.1 that was free a moment ago.
inline uint16_t freeLoopbackPort() {
    UdpSocket probe(*SocketAddress::parse("127.0.0.1:0"));
    return probe.localAddress().port();
}

}  // namespace loa::bench
