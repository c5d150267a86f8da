#pragma once
// The programme encoder: PCM in through appsrc, opusenc + rtpopuspay, RTP out through appsink.
// One per programme: the programme is encoded once, whatever the number of stations.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "GstRuntime.hpp"
#include "ProgrammeOptions.hpp"
#include "media/EncodedFrame.hpp"

namespace loa {

class OpusRtpEncoder {
public:
    explicit OpusRtpEncoder(const ProgrammeSettings& settings);
    ~OpusRtpEncoder();
    OpusRtpEncoder(const OpusRtpEncoder&) = delete;
    OpusRtpEncoder& operator=(const OpusRtpEncoder&) = delete;

    /// Pushes one frame of interleaved PCM (samplesPerFrame × channels floats).
    void push(std::span<const float> pcm);
    /// Takes the encoded payloads available, waiting up to `waitMs` for the first one.
    /// Each payload is an Opus packet taken out of rtpopuspay's RTP packet.
    void pull(std::vector<std::vector<uint8_t>>& out, int waitMs);
    uint64_t malformedPackets() const { return malformed_; }
    /// GStreamer's error if the pipeline has failed (it then produces nothing more), else empty.
    const std::string& error() const { return error_; }

private:
    gst::Pipeline pipeline_;
    GstElement* appsrc_;
    GstElement* appsink_;
    int channels_;
    int samplesPerFrame_;
    uint64_t pushed_ = 0;
    uint64_t malformed_ = 0;
    std::string error_;
};

}  // namespace loa
