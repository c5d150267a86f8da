#include "EmergencySource.hpp"

#include <cmath>
#include <numbers>

namespace loa {
namespace {
/// Between two plays of the message.
constexpr int64_t kPauseSamples = 48000;
constexpr float kToneLevel = 0.25f;  // each of the two tones: about -15 dBFS together
}  // namespace

EmergencySource::EmergencySource(std::string programmeId, int channels)
    : BusSource("emergency", PriorityLevel::emergency, 0, 0, std::nullopt),
      programmeId_(std::move(programmeId)),
      channels_(channels) {}

void EmergencySource::arm(int toneMs, std::optional<std::filesystem::path> message, const LiveSource* live,
                          std::optional<AlertInfo> alert) {
    std::lock_guard lock(mutex_);
    pending_ = Plan{true, toneMs, std::move(message), live, alert};
    armed_ = true;
}

void EmergencySource::disarm() {
    std::lock_guard lock(mutex_);
    pending_ = Plan{};
    armed_ = false;
}

void EmergencySource::startMessage() {
    message_.reset();
    if (!plan_.message) return;
    message_ = std::make_unique<PlaylistSource>(programmeId_, PlaylistSettings{PlaylistMode::once, {*plan_.message}},
                                                channels_);
    message_->start();
}

void EmergencySource::prepare(TimePoint) {
    {
        std::unique_lock lock(mutex_, std::try_to_lock);  // never wait on the clock thread
        if (lock.owns_lock() && pending_) {
            plan_ = *pending_;
            pending_.reset();
            playing_ = plan_.on;
            toneSamplesLeft_ = int64_t{plan_.toneMs} * 48;
            pauseSamplesLeft_ = 0;
            phase_ = 0;
            if (playing_) {
                startMessage();  // decodes while the tone plays
            } else {
                message_.reset();
            }
        }
    }
    if (playing_ && toneSamplesLeft_ <= 0 && pauseSamplesLeft_ <= 0 && message_ && message_->finished()) {
        pauseSamplesLeft_ = kPauseSamples;  // then the message again
        startMessage();
    }
}

void EmergencySource::read(std::span<float> frame) {
    const size_t frames = frame.size() / static_cast<size_t>(channels_);
    size_t i = 0;
    for (; i < frames && toneSamplesLeft_ > 0; ++i, --toneSamplesLeft_, ++phase_) {
        const double t = static_cast<double>(phase_) / 48000;
        const float x = kToneLevel * static_cast<float>(std::sin(2 * std::numbers::pi * 853 * t) +
                                                        std::sin(2 * std::numbers::pi * 960 * t));
        for (int c = 0; c < channels_; ++c)
            frame[i * static_cast<size_t>(channels_) + static_cast<size_t>(c)] = x;
    }
    for (; i < frames && pauseSamplesLeft_ > 0; ++i, --pauseSamplesLeft_) {
        for (int c = 0; c < channels_; ++c)
            frame[i * static_cast<size_t>(channels_) + static_cast<size_t>(c)] = 0.0f;
    }
    const auto rest = frame.subspan(i * static_cast<size_t>(channels_));
    if (plan_.live && toneSamplesLeft_ <= 0) {
        // The live feed's frame of this period (its programme ticks on this same thread).
        const auto live = plan_.live->currentFrame();
        const int liveChannels = plan_.live->channels();
        const size_t n = rest.size() / static_cast<size_t>(channels_);
        for (size_t k = 0; k < n; ++k) {
            for (int c = 0; c < channels_; ++c) {
                const size_t from =
                    k * static_cast<size_t>(liveChannels) + static_cast<size_t>(std::min(c, liveChannels - 1));
                rest[k * static_cast<size_t>(channels_) + static_cast<size_t>(c)] =
                    from < live.size() ? live[from] : 0.0f;
            }
        }
        return;
    }
    const size_t got = message_ && toneSamplesLeft_ <= 0 && pauseSamplesLeft_ <= 0 ? message_->read(rest) : 0;
    std::fill(rest.begin() + static_cast<std::ptrdiff_t>(got), rest.end(), 0.0f);
}

}  // namespace loa
