#pragma once
// One programme: its source of audio and its encoder, advanced one frame per clock tick.

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "EncodedFrame.hpp"
#include "OpusRtpEncoder.hpp"
#include "PlaylistSource.hpp"
#include "settings/Settings.hpp"

namespace loa {

class Programme {
public:
    explicit Programme(const ProgrammeSettings& settings);

    const ProgrammeSettings& settings() const { return settings_; }
    std::chrono::nanoseconds framePeriod() const { return std::chrono::milliseconds(settings_.encoder.frameMs); }

    void start();
    void stop();
    /// One tick of the frame clock: reads a frame of audio (silence for what the source lacks),
    /// encodes it, and appends the frames the encoder has finished to `out`, marked due at
    /// `deadline` (the frame clock's tick).
    void tick(std::vector<FramePtr>& out, std::chrono::steady_clock::time_point deadline = {});

    uint64_t framesEncoded() const { return framesOut_; }
    uint64_t encoderRestarts() const { return encoderRestarts_; }
    const PlaylistSource& source() const { return source_; }

private:
    ProgrammeSettings settings_;
    PlaylistSource source_;
    std::unique_ptr<OpusRtpEncoder> encoder_;
    std::vector<float> pcm_;
    std::vector<std::vector<uint8_t>> payloads_;
    uint64_t framesOut_ = 0;
    uint64_t encoderRestarts_ = 0;
    std::chrono::steady_clock::time_point encoderRetry_{};
    uint32_t timestamp_ = 0;
};

}  // namespace loa
