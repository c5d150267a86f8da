#pragma once
// Playing Opus out of a jitter buffer, one packet per turn: the packet decoded, or, when it is
// missing, rebuilt from the next packet's in-band FEC data, or concealed. The station receiver
// and the gateway's live feeds both play this way.

#include <opus/opus.h>

#include <cstdint>
#include <optional>
#include <span>

#include "rtp/JitterBuffer.hpp"

namespace loa {

struct PlayoutCounters {
    uint64_t decoded = 0;       ///< frames decoded from their own packet
    uint64_t fecRecovered = 0;  ///< rebuilt from the next packet's FEC data
    uint64_t concealed = 0;     ///< filled by packet-loss concealment
    uint64_t lost = 0;          ///< missing at their turn with later packets already here
    uint64_t underruns = 0;     ///< turns that came with nothing buffered
    uint64_t undecodable = 0;   ///< payloads the decoder refused (played as silence)
};

class OpusJitterDecoder {
public:
    static constexpr int kMaxPacketSamples = 5760;  ///< 120 ms at 48 kHz

    /// Throws loa::Error if libopus refuses the channel count.
    explicit OpusJitterDecoder(int channels);
    ~OpusJitterDecoder();
    OpusJitterDecoder(const OpusJitterDecoder&) = delete;
    OpusJitterDecoder& operator=(const OpusJitterDecoder&) = delete;

    /// Plays the packet due next in `jitter` (which must have started) into `out`, which holds
    /// kMaxPacketSamples × channels. Returns the samples per channel written. `tag` receives the
    /// packet's tag when it was decoded from its own packet.
    int playNext(JitterBuffer& jitter, std::span<float> out, std::optional<uint8_t>* tag = nullptr);
    /// Conceals `samples` per channel without taking a packet.
    int conceal(std::span<float> out, int samples);
    void reset();

    /// Duration of the last packet decoded: what a missing one is taken to last.
    int packetSamples() const { return packetSamples_; }
    void setPacketSamples(int samples) { packetSamples_ = samples; }
    const PlayoutCounters& counters() const { return counters_; }

private:
    OpusDecoder* decoder_ = nullptr;
    int channels_;
    int packetSamples_ = 960;
    PlayoutCounters counters_;
};

}  // namespace loa
