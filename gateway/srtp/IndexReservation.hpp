#pragma once
// A counter that must never repeat under one key, across restarts and reboots (RFC 3711 §9.1):
// the gateway's SRTP rollover counters (a station's key and SSRC are stable, so a restarted
// gateway must not send an index ROC << 16 | SEQ it sent before), and a station's SRTCP report
// index. Each run starts above every value an earlier run may have used, and reserves values
// ahead in a file, written and synced before they are used.
//
// The space is finite (2^32 ROCs of 2^16 packets; 2^31 SRTCP indexes): RFC 3711 §9.2 forbids
// going round it under one key. A run skips what is left of its block when it restarts, so it
// lasts ages; still, its use is tracked, warned about from half of it on, and at its end the
// senders hold back instead of reusing a value until the keys are changed.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace loa {

class IndexReservation {
public:
    /// Reads `file` (absent: start at 0), starts at `atLeast` if that is higher, and durably
    /// reserves [start, start + block). Values run up to `end` (exclusive); `what` names them in
    /// logs. Throws loa::Error naming the file if it cannot be read or written.
    IndexReservation(std::filesystem::path file, uint32_t block = 64, uint32_t end = 0xffffffffu,
                     uint32_t atLeast = 0, std::string what = "SRTP rollover counters");

    /// The first value of this run: above every value of earlier runs.
    uint32_t start() const { return start_; }
    /// Values below this are reserved; a sender must not use one at or above it. Any thread.
    uint32_t limit() const { return limit_.load(std::memory_order_acquire); }
    /// Control thread: reserves another block when `highestInUse` comes within a quarter block of
    /// the limit. Returns false (and keeps the old limit) if the file cannot be written.
    bool extendIfNeeded(uint32_t highestInUse);
    /// The share (0 to 1) of the space reserved so far.
    double used() const { return static_cast<double>(limit()) / static_cast<double>(end_); }
    /// From half the space on, every start and extension warns that the keys should be changed.
    uint32_t warnFrom() const { return end_ / 2 + 1; }
    /// The ROC at which the warnings start for the gateway's default space (2^31).
    static constexpr uint32_t kWarnFrom = 1u << 31;

    /// The first value of the latest run recorded in `file` (what a receiver joining that run
    /// from its start needs), if the file names one.
    static std::optional<uint32_t> latestStart(const std::filesystem::path& file);

private:
    void persist(uint32_t limit);
    void warnIfRunningOut() const;

    std::filesystem::path file_;
    uint32_t block_;
    uint32_t end_;
    std::string what_;
    uint32_t start_ = 0;
    std::atomic<uint32_t> limit_{0};
};

}  // namespace loa
