#include "srtp/SenderRollover.hpp"

namespace loa {

std::optional<uint32_t> advertisedRolloverCounter(const RtpPacket& packet, uint8_t extensionId) {
    const auto data = packet.oneByteExtension(extensionId);
    if (!data || data->size() < StreamInfo::kSize) return std::nullopt;
    return StreamInfo::parse(*data)->rolloverCounter;
}

uint64_t nearestIndex(uint64_t reference, uint16_t sequence) {
    const auto roc = static_cast<int64_t>(reference >> 16);
    const auto highest = static_cast<uint16_t>(reference);
    int64_t v = roc;
    if (highest < 0x8000) {
        if (sequence > highest && sequence - highest > 0x8000) v = roc - 1;
    } else if (highest - 0x8000 > sequence) {
        v = roc + 1;
    }
    if (v < 0) v = 0;
    return static_cast<uint64_t>(v) << 16 | sequence;
}

SrtpResult unprotectRtpFollowingSender(SrtpSession& session, std::span<uint8_t> buffer, size_t& length,
                                       uint8_t extensionId) {
    if (length > buffer.size()) return SrtpResult::badPacket;
    const auto header = RtpPacket::parse(buffer.first(length));
    if (!header) return SrtpResult::badPacket;
    if (const auto roc = advertisedRolloverCounter(*header, extensionId))
        return session.unprotectRtpAt(buffer, length, *roc);
    return session.unprotectRtp(buffer, length);
}

SrtpResult unprotectRtpNear(SrtpSession& session, std::span<uint8_t> buffer, size_t& length, uint8_t extensionId,
                            uint64_t reference, uint64_t& index) {
    if (length > buffer.size()) return SrtpResult::badPacket;
    const auto header = RtpPacket::parse(buffer.first(length));
    if (!header) return SrtpResult::badPacket;
    const uint16_t sequence = header->sequence();
    const auto roc = advertisedRolloverCounter(*header, extensionId);
    const uint64_t at = roc ? (uint64_t{*roc} << 16 | sequence) : nearestIndex(reference, sequence);
    const SrtpResult result = session.unprotectRtpAt(buffer, length, static_cast<uint32_t>(at >> 16));
    if (result == SrtpResult::ok) index = at;
    return result;
}

}  // namespace loa
