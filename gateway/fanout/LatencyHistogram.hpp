#pragma once
// A histogram of durations in fixed 50 µs bins up to 100 ms (the last bin takes the rest):
// written by one thread, read by any, with relaxed atomics; percentiles are approximate to a bin.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace loa {

class LatencyHistogram {
public:
    static constexpr int64_t kBinNs = 50'000;
    static constexpr size_t kBins = 2000;

    void record(std::chrono::nanoseconds d) {
        const int64_t ns = d.count() < 0 ? 0 : d.count();
        const size_t bin = std::min<size_t>(static_cast<size_t>(ns / kBinNs), kBins - 1);
        bins_[bin].fetch_add(1, std::memory_order_relaxed);
        if (ns > max_.load(std::memory_order_relaxed)) max_.store(ns, std::memory_order_relaxed);
    }
    uint64_t count() const {
        uint64_t n = 0;
        for (const auto& b : bins_)
            n += b.load(std::memory_order_relaxed);
        return n;
    }
    /// The upper edge of the bin holding the q-quantile (0 < q <= 1); 0 if empty.
    std::chrono::nanoseconds quantile(double q) const {
        const uint64_t total = count();
        if (total == 0) return {};
        const auto want = static_cast<uint64_t>(q * static_cast<double>(total) + 0.5);
        uint64_t seen = 0;
        for (size_t i = 0; i < kBins; ++i) {
            seen += bins_[i].load(std::memory_order_relaxed);
            if (seen >= want && seen > 0) return std::chrono::nanoseconds((static_cast<int64_t>(i) + 1) * kBinNs);
        }
        return max();
    }
    std::chrono::nanoseconds max() const { return std::chrono::nanoseconds(max_.load(std::memory_order_relaxed)); }

private:
    std::array<std::atomic<uint64_t>, kBins> bins_{};
    std::atomic<int64_t> max_{0};
};

}  // namespace loa
