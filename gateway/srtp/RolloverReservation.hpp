#pragma once
// Keeps SRTP packet indexes unique across restarts (RFC 3711 §9.1). A station's key and SSRC are
// stable, so a restarted gateway must not send an index (ROC << 16 | SEQ) it sent before. Each run
// starts its streams at a rollover counter (ROC) above every one an earlier run may have used, and
// reserves ROCs ahead in a file, written and synced before they are used.
//
// The index space of a key and SSRC is finite (2^32 ROCs of 2^16 packets: RFC 3711 §9.2 forbids
// going round it under one key). A run uses a ROC every 22 minutes and a restart skips what is
// left of a block, so it lasts ages; still, its use is tracked, warned about from half of it on,
// and at its end the senders hold back instead of reusing an index until the keys are changed.

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
    /// The share (0 to 1) of the keys' index space reserved so far.
    double used() const { return static_cast<double>(limit()) / 4294967296.0; }
    /// From this ROC on, every start and extension warns that the keys should be changed.
    static constexpr uint32_t kWarnFrom = 1u << 31;

private:
    void persist(uint32_t limit);
    void warnIfRunningOut() const;

    std::filesystem::path file_;
    uint32_t block_;
    uint32_t start_ = 0;
    std::atomic<uint32_t> limit_{0};
};

}  // namespace loa
