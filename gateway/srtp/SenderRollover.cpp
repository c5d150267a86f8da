#include "srtp/SenderRollover.hpp"

namespace loa {

std::optional<uint32_t> advertisedRolloverCounter(const RtpPacket& packet, uint8_t extensionId) {
    const auto data = packet.oneByteExtension(extensionId);
    if (!data || data->size() < StreamInfo::kSize) return std::nullopt;
    return StreamInfo::parse(*data)->rolloverCounter;
}

SrtpResult unprotectRtpFollowingSender(SrtpSession& session, std::span<uint8_t> buffer, size_t& length,
                                       uint8_t extensionId) {
    if (length > buffer.size()) return SrtpResult::badPacket;
    const auto header = RtpPacket::parse(buffer.first(length));
    if (!header) return SrtpResult::badPacket;
    // Set from every packet, even when it equals the stream's counter: libsrtp keeps a pending
    // counter until a packet authenticates, so setting it only on change would let one forged
    // packet's counter stand for all the genuine ones after it.
    if (const auto roc = advertisedRolloverCounter(*header, extensionId))
        session.setRolloverCounter(header->ssrc(), *roc);
    return session.unprotectRtp(buffer, length);
}

}  // namespace loa
