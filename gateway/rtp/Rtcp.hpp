#pragma once
// RTCP receiver reports (RFC 3550 §6.4.2): what a station tells the gateway about the stream it
// receives. Stations send them, SRTCP-protected with their own key, to the gateway's media port
// (RTCP multiplexed with RTP, RFC 5761); the gateway learns from them where the station is.

#include <cstdint>
#include <optional>
#include <span>

namespace loa {

struct ReceiverReport {
    uint32_t reporterSsrc = 0;     ///< the station's own SSRC (its stream's SSRC + 1)
    bool hasBlock = false;         ///< false before the station has heard anything
    uint32_t sourceSsrc = 0;       ///< the stream reported on
    uint8_t fractionLost = 0;      ///< since the last report, in 1/256
    int32_t cumulativeLost = 0;    ///< 24-bit signed
    uint32_t highestSequence = 0;  ///< extended
    uint32_t jitter = 0;           ///< interarrival jitter, RTP timestamp units
};

/// The SSRC a station reports under: its stream's SSRC + 1, so the gateway finds the station
/// (and its key) from the report's clear header.
constexpr uint32_t reporterSsrcFor(uint32_t streamSsrc) {
    return streamSsrc + 1;
}

/// Writes the report (8 bytes, plus 24 with a block) into `out`; returns the length, 0 if too small.
size_t writeReceiverReport(const ReceiverReport& report, std::span<uint8_t> out);
/// Reads the first packet of a (decrypted) compound RTCP packet if it is a receiver report.
std::optional<ReceiverReport> parseReceiverReport(std::span<const uint8_t> packet);
/// The sender SSRC in an RTCP packet's clear header (bytes 4–7), if the packet is long enough.
std::optional<uint32_t> rtcpSenderSsrc(std::span<const uint8_t> packet);

}  // namespace loa
