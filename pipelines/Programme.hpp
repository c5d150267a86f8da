#pragma once
// One programme: its bus of sources (live feed, upstream, schedule, playlist, filler) and its
// encoder, advanced one frame per tick of the programme clock. Encoded once for every station.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "EmergencySource.hpp"
#include "LiveSource.hpp"
#include "OpusRtpEncoder.hpp"
#include "ProgrammeBus.hpp"
#include "ProgrammeOptions.hpp"
#include "SegmentSource.hpp"
#include "ingest/RtpIngest.hpp"
#include "media/EncodedFrame.hpp"

namespace loa {

class Programme {
public:
    using WallClock = ScheduledSource::WallClock;

    /// Binds the ingest ports (throws loa::Error naming a port that cannot be bound). `schedule`
    /// may hold entries of other programmes: this one takes its own. `floors` keeps the live
    /// feeds' replay floors across restarts (none: within this run only).
    Programme(
        const ProgrammeSettings& settings, uint8_t extensionId, const std::vector<ScheduleEntry>& schedule,
        WallClock wall = [] { return std::chrono::system_clock::now(); }, ReplayFloors* floors = nullptr);
    ~Programme();

    const ProgrammeSettings& settings() const { return settings_; }
    std::chrono::nanoseconds framePeriod() const { return std::chrono::milliseconds(settings_.encoder.frameMs); }

    void start();
    void stop();
    /// Before start(): makes this programme an emergency slot, its bus holding the emergency
    /// source it returns (armed and disarmed from the control thread).
    EmergencySource& makeEmergencySlot();
    /// Null unless this is an emergency slot.
    EmergencySource* emergency() const { return emergency_; }
    /// An emergency slot with no emergency on air: nothing to show, count or say of it.
    bool idleSlot() const { return emergency_ && !emergency_->armed(); }
    /// One tick of the frame clock: mixes a frame on the bus, encodes it, and appends the frames
    /// the encoder has finished to `out`, marked with the level on air and due at `deadline`.
    void tick(std::vector<FramePtr>& out, std::chrono::steady_clock::time_point deadline = {});

    /// When the next tick should come for the live feed the programme clock follows (the
    /// highest one receiving), if any: the clock aligns its frame grid with that feed.
    std::optional<std::chrono::steady_clock::time_point> anchor() const;

    /// Replaces this programme's schedule entries from `schedule`; applied at the next tick.
    /// An entry that is unchanged keeps its state (it may be playing). Thread-safe.
    void setSchedule(const std::vector<ScheduleEntry>& schedule);

    /// For other threads: the source on air and its level, as of the last frame.
    std::pair<std::string, PriorityLevel> onAir() const;
    uint64_t switches() const { return switches_.load(std::memory_order_relaxed); }
    /// Since when (Unix ms) the source on air has been on air.
    int64_t onAirSinceMs() const { return onAirSinceMs_.load(std::memory_order_relaxed); }
    /// The programme's audio level for a meter: peak dBFS with a fall-back (-120: silence).
    float meterDb() const { return meterDb_.load(std::memory_order_relaxed); }

    /// Any thread (the API reads them while the media thread counts).
    uint64_t framesEncoded() const { return framesOut_.load(std::memory_order_relaxed); }
    uint64_t encoderRestarts() const { return encoderRestarts_.load(std::memory_order_relaxed); }
    const ProgrammeBus& bus() const { return bus_; }
    const LiveSource* live() const { return live_; }
    const LiveSource* upstream() const { return upstream_; }
    const RtpIngest* liveIngest() const { return liveIngest_.get(); }
    const RtpIngest* upstreamIngest() const { return upstreamIngest_.get(); }
    /// Before start(): the live feeds' receive threads run real-time at `priority` (0: normal).
    void setRealtimePriority(int priority) {
        for (auto* ingest : {liveIngest_.get(), upstreamIngest_.get()})
            if (ingest) ingest->setRealtimePriority(priority);
    }
    /// Before start(): told on the upstream's receive thread when the alert its packets carry
    /// changes (a parent's alert, relayed by the gateway from its first packet).
    void onUpstreamAlert(RtpIngest::AlertObserver observer) {
        if (upstreamIngest_) upstreamIngest_->onAlertChange(std::move(observer));
    }
    /// One line of counters for the gateway's summary log.
    std::string summary() const;

private:
    void applySchedule();

    ProgrammeSettings settings_;
    WallClock wall_;
    std::unique_ptr<RtpIngest> liveIngest_, upstreamIngest_;
    ProgrammeBus bus_;
    LiveSource* live_ = nullptr;
    LiveSource* upstream_ = nullptr;
    EmergencySource* emergency_ = nullptr;
    std::vector<SegmentSource*> segments_;
    std::vector<ScheduleEntry> entries_;  ///< as on the bus

    std::mutex scheduleMutex_;
    std::optional<std::vector<ScheduleEntry>> pendingSchedule_;

    std::unique_ptr<OpusRtpEncoder> encoder_;
    std::vector<float> pcm_;
    std::vector<std::vector<uint8_t>> payloads_;
    std::atomic<uint64_t> framesOut_{0};
    std::atomic<uint64_t> encoderRestarts_{0};
    std::chrono::steady_clock::time_point encoderRetry_{};
    uint32_t timestamp_ = 0;

    /// What is on air, for other threads without a lock: a pointer to an interned source id
    /// (names_ only grows, so a pointer read stays valid) and the level.
    std::deque<std::string> names_;  ///< media thread
    std::atomic<const std::string*> onAirId_;
    std::atomic<PriorityLevel> onAirLevel_{PriorityLevel::filler};
    std::atomic<uint64_t> switches_{0};
    std::atomic<int64_t> onAirSinceMs_{0};
    std::atomic<float> meterDb_{-120.0f};
};

}  // namespace loa
