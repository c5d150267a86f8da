#pragma once
// The codec seam: what a live feed plays its packets through. A decoder takes the packet due
// next out of a jitter buffer and writes float PCM at 48 kHz (the bus's rate: a codec at another
// rate resamples), or conceals a missing one. A second ingest codec is one file implementing
// this, its name in kIngestCodecs (ingest/IngestOptions.hpp) and its line in makeJitterDecoder.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

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

class JitterDecoder {
public:
    static constexpr int kMaxPacketSamples = 5760;  ///< 120 ms at 48 kHz: what `out` holds per channel

    virtual ~JitterDecoder() = default;
    /// Plays the packet due next in `jitter` (which must have started) into `out`, which holds
    /// kMaxPacketSamples × channels. Returns the samples per channel written. `tag` receives the
    /// packet's tag when it was decoded from its own packet.
    virtual int playNext(JitterBuffer& jitter, std::span<float> out, std::optional<uint8_t>* tag = nullptr) = 0;
    /// Conceals `samples` per channel without taking a packet.
    virtual int conceal(std::span<float> out, int samples) = 0;
    /// Forgets the stream (a new source or SSRC follows).
    virtual void reset() = 0;
    virtual const PlayoutCounters& counters() const = 0;
};

/// The decoder of `codec` (one of kIngestCodecs) for `channels` output channels. Throws
/// loa::Error naming an unknown codec or what the codec's library refused.
std::unique_ptr<JitterDecoder> makeJitterDecoder(std::string_view codec, int channels);

}  // namespace loa
