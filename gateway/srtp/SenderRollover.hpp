#pragma once
// Receiving a Loa stream at any point: the sender's SRTP rollover counter travels in every
// packet's stream-info extension (RFC 8285 one-byte element, after the priority byte), in the
// clear but covered by the authentication tag. Streams without it (a studio encoder) have their
// index estimated from the receiver's own reference (RFC 3711 §3.3.1).

#include <cstdint>
#include <optional>
#include <span>

#include "rtp/RtpPacket.hpp"
#include "srtp/SrtpSession.hpp"

namespace loa {

/// The rollover counter that `packet`'s stream-info extension (id `extensionId`) names, if any.
std::optional<uint32_t> advertisedRolloverCounter(const RtpPacket& packet, uint8_t extensionId);

/// RFC 3711 §3.3.1: the packet index with sequence number `sequence` nearest to `reference`
/// (the highest index the receiver has seen), never below rollover counter 0.
uint64_t nearestIndex(uint64_t reference, uint16_t sequence);

/// Unprotects an SRTP packet as the packet index its own extension names, so the receiver can
/// join a stream that has run for hours or follow a restarted sender. The counter is taken from
/// every packet anew: a forged one only makes that packet fail authentication and never outlives
/// it. Packets without the extension are left to libsrtp's own estimate.
SrtpResult unprotectRtpFollowingSender(SrtpSession& session, std::span<uint8_t> buffer, size_t& length,
                                       uint8_t extensionId);

/// As unprotectRtpFollowingSender, but a packet without the extension is taken at the index
/// nearest to `reference`. On ok, `index` is the packet's authenticated 48-bit index (what a
/// durable replay floor compares).
SrtpResult unprotectRtpNear(SrtpSession& session, std::span<uint8_t> buffer, size_t& length, uint8_t extensionId,
                            uint64_t reference, uint64_t& index);

}  // namespace loa
