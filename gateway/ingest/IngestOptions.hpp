#pragma once
// What a live feed or an upstream is: the ingest's options (mapped from the config by the app).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/AddressPattern.hpp"
#include "net/SocketAddress.hpp"
#include "srtp/SrtpProfile.hpp"

namespace loa {

/// Playing over the source below instead of replacing it: the lower one is attenuated.
struct DuckSettings {
    double gainDb = -15;  ///< level of the source underneath while ducked
    int attackMs = 100;   ///< ramp down
    int releaseMs = 500;  ///< ramp back up
    bool operator==(const DuckSettings&) const = default;
};

/// The codecs a live feed or an upstream may carry (pipelines/JitterDecoder.hpp decodes them).
inline constexpr std::array<std::string_view, 1> kIngestCodecs = {"opus"};

/// RTP or SRTP Opus arriving on a UDP port: the studio's live feed or a parent gateway's programme.
struct IngestSettings {
    SocketAddress listen;
    int payloadType = 96;
    std::string codec = "opus";  ///< one of kIngestCodecs
    SrtpProfile profile = SrtpProfile::aesCm128HmacSha1_80;
    std::optional<std::vector<uint8_t>> key;  ///< master key || salt; none: derived (loa-gateway keys --ingest)
    bool allowPlainRtp = false;               ///< accept unauthenticated RTP (a trusted studio LAN only)
    int jitterMs = 40;                        ///< buffer depth, 20..200
    int timeoutMs = 500;                      ///< without packets this long, the source yields
    int returnMs = 2000;                      ///< back and audible this long before it takes over again
    double silenceDbfs = -50;                 ///< below this level the feed counts as silent...
    int silenceS = 10;                        ///< ...and yields after this long (0: never)
    int ssrcTakeoverMs = 1000;                ///< a new SSRC replaces the locked one after its silence
    /// Where its packets may come from (addresses, address:port, networks); empty: anywhere.
    std::vector<AddressPattern> sources;
    /// An upstream's parent gateway, by its gateway.id: names the origin of the alerts it
    /// triggers in this gateway's records (others show their origin's tag).
    std::string parent;
    double gainDb = 0;
    std::optional<DuckSettings> duck;
    bool operator==(const IngestSettings&) const = default;
};

}  // namespace loa
