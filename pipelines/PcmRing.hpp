#pragma once
// A single-producer, single-consumer ring of float samples: a decoder thread writes, the
// programme clock thread reads, neither locks nor allocates after construction.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <span>
#include <vector>

namespace loa {

class PcmRing {
public:
    /// Capacity is rounded up to a power of two.
    explicit PcmRing(size_t capacity) {
        size_t c = 1;
        while (c < capacity)
            c <<= 1;
        buffer_.resize(c);
        mask_ = c - 1;
    }

    size_t capacity() const { return buffer_.size(); }
    size_t available() const { return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_relaxed); }
    size_t space() const {
        return buffer_.size() - (head_.load(std::memory_order_relaxed) - tail_.load(std::memory_order_acquire));
    }

    /// Producer: writes as much of `in` as fits; returns the count written.
    size_t write(std::span<const float> in) {
        const size_t head = head_.load(std::memory_order_relaxed);
        const size_t n = std::min(in.size(), space());
        for (size_t i = 0; i < n; ++i)
            buffer_[(head + i) & mask_] = in[i];
        head_.store(head + n, std::memory_order_release);
        return n;
    }

    /// Consumer: reads up to out.size() samples; returns the count read.
    size_t read(std::span<float> out) {
        const size_t tail = tail_.load(std::memory_order_relaxed);
        const size_t n = std::min(out.size(), available());
        for (size_t i = 0; i < n; ++i)
            out[i] = buffer_[(tail + i) & mask_];
        tail_.store(tail + n, std::memory_order_release);
        return n;
    }

private:
    std::vector<float> buffer_;
    size_t mask_ = 0;
    alignas(64) std::atomic<size_t> head_{0};
    alignas(64) std::atomic<size_t> tail_{0};
};

}  // namespace loa
