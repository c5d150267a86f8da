#pragma once
// Receiving a Loa stream at any point: the sender's SRTP rollover counter travels in every
// packet's stream-info extension (RFC 8285 one-byte element, after the priority byte), in the
// clear but covered by the authentication tag.

#include <cstdint>
#include <optional>
#include <span>

#include "rtp/RtpPacket.hpp"
#include "srtp/SrtpSession.hpp"

namespace loa {

/// The rollover counter that `packet`'s stream-info extension (id `extensionId`) names, if any.
std::optional<uint32_t> advertisedRolloverCounter(const RtpPacket& packet, uint8_t extensionId);

/// Unprotects an SRTP packet as the packet index its own extension names, so the receiver can
/// join a stream that has run for hours or follow a restarted sender. The counter is taken from
/// every packet anew: a forged one only makes that packet fail authentication and never outlives
/// it. Packets without the extension are left to libsrtp's own estimate.
SrtpResult unprotectRtpFollowingSender(SrtpSession& session, std::span<uint8_t> buffer, size_t& length,
                                       uint8_t extensionId);

}  // namespace loa
