#pragma once
// The emergency audio of one emergency slot: the alert tone (853 Hz + 960 Hz, the attention
// signal broadcasters know), then the message file, repeated with a pause until the emergency
// ends, or then a programme's live feed (an announcer speaking live to the targeted area). Armed and disarmed from the
// control thread; the media thread sees the change at its next frame.

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

#include "BusSource.hpp"
#include "LiveSource.hpp"
#include "PlaylistSource.hpp"
#include "rtp/RtpPacket.hpp"

namespace loa {

class EmergencySource final : public BusSource {
public:
    EmergencySource(std::string programmeId, int channels);

    /// Control thread: from the next frame on, play the tone for `toneMs`, then `message` (or
    /// relay `live`), its frames marked with `alert`.
    void arm(int toneMs, std::optional<std::filesystem::path> message, const LiveSource* live = nullptr,
             std::optional<AlertInfo> alert = std::nullopt);
    /// Media thread: the alert the frames being played belong to.
    const std::optional<AlertInfo>& alert() const { return plan_.alert; }
    void disarm();
    /// True from arm() until disarm() (whatever the media thread has seen yet).
    bool armed() const { return armed_.load(); }

    void prepare(TimePoint tick) override;
    bool available() const override { return playing_; }
    std::string state() const override { return playing_ ? "on air" : "idle"; }
    void read(std::span<float> frame) override;

private:
    struct Plan {
        bool on = false;
        int toneMs = 0;
        std::optional<std::filesystem::path> message;
        const LiveSource* live = nullptr;  ///< a live feed to relay after the tone (same media thread)
        std::optional<AlertInfo> alert;
    };
    void startMessage();

    std::string programmeId_;
    int channels_;
    std::mutex mutex_;
    std::optional<Plan> pending_;
    std::atomic<bool> armed_{false};

    // Media thread.
    bool playing_ = false;
    Plan plan_;
    int64_t toneSamplesLeft_ = 0;
    int64_t pauseSamplesLeft_ = 0;
    uint64_t phase_ = 0;
    std::unique_ptr<PlaylistSource> message_;
};

}  // namespace loa
