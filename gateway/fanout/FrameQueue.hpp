#pragma once
// Single-producer, single-consumer queue of programme frames: the programme thread pushes,
// one fan-out worker pops. Fixed capacity, no lock, no allocation after construction.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "media/EncodedFrame.hpp"

namespace loa {

struct QueuedFrame {
    size_t programme = 0;
    uint8_t payloadType = 0;
    FramePtr frame;
};

class FrameQueue {
public:
    static constexpr size_t kCapacity = 64;

    /// Producer. False if full (the worker is more than kCapacity frames behind).
    bool push(QueuedFrame item) {
        const size_t head = head_.load(std::memory_order_relaxed);
        if (head - tail_.load(std::memory_order_acquire) == kCapacity) return false;
        slots_[head % kCapacity] = std::move(item);
        head_.store(head + 1, std::memory_order_release);
        return true;
    }
    /// Consumer.
    std::optional<QueuedFrame> pop() {
        const size_t tail = tail_.load(std::memory_order_relaxed);
        if (tail == head_.load(std::memory_order_acquire)) return std::nullopt;
        QueuedFrame item = std::move(slots_[tail % kCapacity]);
        tail_.store(tail + 1, std::memory_order_release);
        return item;
    }

private:
    std::array<QueuedFrame, kCapacity> slots_{};
    alignas(64) std::atomic<size_t> head_{0};
    alignas(64) std::atomic<size_t> tail_{0};
};

}  // namespace loa
