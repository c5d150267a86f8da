#pragma once
// Playing Opus out of a jitter buffer, one packet per turn: the packet decoded, or, when it is
// missing, rebuilt from the next packet's in-band FEC data, or concealed. The station receiver
// and the gateway's live feeds both play this way.

#include <opus/opus.h>

#include <cstdint>
#include <optional>
#include <span>

#include "JitterDecoder.hpp"
#include "rtp/JitterBuffer.hpp"

namespace loa {

class OpusJitterDecoder final : public JitterDecoder {
public:
    /// Throws loa::Error if libopus refuses the channel count.
    explicit OpusJitterDecoder(int channels);
    ~OpusJitterDecoder();
    OpusJitterDecoder(const OpusJitterDecoder&) = delete;
    OpusJitterDecoder& operator=(const OpusJitterDecoder&) = delete;

    int playNext(JitterBuffer& jitter, std::span<float> out, std::optional<uint8_t>* tag = nullptr) override;
    int conceal(std::span<float> out, int samples) override;
    void reset() override;

    /// Duration of the last packet decoded: what a missing one is taken to last.
    int packetSamples() const { return packetSamples_; }
    void setPacketSamples(int samples) { packetSamples_ = samples; }
    const PlayoutCounters& counters() const override { return counters_; }

private:
    OpusDecoder* decoder_ = nullptr;
    int channels_;
    int packetSamples_ = 960;
    PlayoutCounters counters_;
};

}  // namespace loa
