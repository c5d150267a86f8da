#pragma once
// Keeps SRTP packet indexes unique across restarts (RFC 3711 §9.1). A station's key and SSRC are
// stable, so a restarted gateway must not send an index (ROC << 16 | SEQ) it sent before. Each run
// starts its streams at a rollover counter (ROC) above every one an earlier run may have used, and
// reserves ROCs ahead in a file, written and synced before they are used.

#include <atomic>
#include <cstdint>
#include <filesystem>

namespace loa {

class RolloverReservation {
public:
    /// Reads `file` (absent: start at 0) and durably reserves [start, start + block).
    /// Throws loa::Error naming the file if it cannot be read or written.
    RolloverReservation(std::filesystem::path file, uint32_t block = 64);

    /// The first ROC of this run: above every ROC of earlier runs.
    uint32_t start() const { return start_; }
    /// ROCs below this are reserved; a sender must not use one at or above it. Any thread.
    uint32_t limit() const { return limit_.load(std::memory_order_acquire); }
    /// Control thread: reserves another block when `highestInUse` comes within a quarter block of
    /// the limit. Returns false (and keeps the old limit) if the file cannot be written.
    bool extendIfNeeded(uint32_t highestInUse);

private:
    void persist(uint32_t limit);

    std::filesystem::path file_;
    uint32_t block_;
    uint32_t start_ = 0;
    std::atomic<uint32_t> limit_{0};
};

}  // namespace loa
