#pragma once
// Prerecorded audio on the bus: a continuous playlist (scheduled level) or the filler loop, and
// scheduled entries, which decode their files ahead of their start time and play them once.

#include <functional>
#include <memory>
#include <optional>

#include "BusSource.hpp"
#include "PlaylistSource.hpp"

namespace loa {

/// A playlist that runs whenever the bus plays it, and pauses while a higher source is on air.
class SegmentSource final : public BusSource {
public:
    SegmentSource(const std::string& programmeId, std::string id, PriorityLevel level, int rank,
                  const SegmentSettings& settings, int channels);
    void start() { playlist_.start(); }
    bool available() const override { return !playlist_.finished(); }
    std::string state() const override { return playlist_.finished() ? "finished" : "playing"; }
    void read(std::span<float> frame) override;
    const PlaylistSource& playlist() const { return playlist_; }

private:
    PlaylistSource playlist_;
};

/// One schedule entry. At each occurrence (from the wall clock) it plays its files once, then
/// waits for the next one. If a higher source holds the air, it waits and resumes afterwards.
class ScheduledSource final : public BusSource {
public:
    using WallClock = std::function<std::chrono::system_clock::time_point()>;
    /// Starts decoding this long before the entry's time, so it begins on the second.
    static constexpr auto kPreroll = std::chrono::seconds(1);
    /// A start missed by more than this (the gateway was down) is skipped.
    static constexpr auto kLateLimit = std::chrono::seconds(60);

    ScheduledSource(const std::string& programmeId, const ScheduleEntry& entry, int channels, WallClock wall);
    const ScheduleEntry& entry() const { return entry_; }
    void prepare(TimePoint tick) override;
    bool available() const override { return playing_ && current_ && !current_->finished(); }
    std::string state() const override;
    void read(std::span<float> frame) override;
    std::optional<std::chrono::system_clock::time_point> nextStart() const { return next_; }
    uint64_t runs() const { return runs_; }

private:
    std::string programmeId_;
    ScheduleEntry entry_;
    int channels_;
    WallClock wall_;
    std::optional<std::chrono::system_clock::time_point> next_;
    std::unique_ptr<PlaylistSource> current_;
    bool playing_ = false;
    uint64_t runs_ = 0;
};

}  // namespace loa
