#pragma once
// The SDP (RFC 4566, SDES keys per RFC 4568) that describes one station's stream, so that a
// standard player, or loa-station, can open it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/SocketAddress.hpp"
#include "srtp/SrtpProfile.hpp"

namespace loa {

struct StationStream {
    std::string stationId;
    std::string programmeName;
    SocketAddress destination;  ///< where the station receives
    int payloadType = 96;
    int channels = 1;
    int frameMs = 20;
    uint8_t priorityExtensionId = 1;
    uint32_t ssrc = 0;  ///< the stream's SSRC (a=ssrc); 0 if the SDP names none
    SrtpProfile profile = SrtpProfile::aesCm128HmacSha1_80;
    std::vector<uint8_t> keyMaterial;  ///< master key || salt
    /// Where the station sends its SRTCP receiver reports (a=rtcp, RFC 3605): the gateway's
    /// media address, which learns the station's address from them.
    std::optional<SocketAddress> reportTo;
    /// The SRTP rollover counter the stream is at (a=x-loa-roc): what a standard receiver that
    /// joins after the stream's start, or after a gateway restart, must be given (SDES has no
    /// field for it; GStreamer's srtpdec takes it as caps field roc).
    std::optional<uint32_t> rolloverCounter;
};

/// The URI that names Loa's priority header extension in a=extmap.
inline constexpr const char* kPriorityExtensionUri = "urn:x-loa:rtp-hdrext:priority";

/// The SDES a=crypto attribute value: "1 AES_CM_128_HMAC_SHA1_80 inline:<base64>".
std::string cryptoAttribute(SrtpProfile profile, const std::vector<uint8_t>& keyMaterial);
std::string makeStationSdp(const StationStream& stream);
/// The caps for GStreamer's `udpsrc caps=... ! srtpdec`: key, SSRC, ciphers and the rollover
/// counter (0 when the stream names none).
std::string gstreamerCaps(const StationStream& stream);
/// Reads what makeStationSdp writes (and the same fields from other SDP writers); nullopt with
/// `error` set if a required field is missing or malformed.
std::optional<StationStream> parseStationSdp(const std::string& text, std::string& error);

}  // namespace loa
