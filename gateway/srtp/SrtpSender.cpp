#include "srtp/SrtpSender.hpp"

namespace loa {

SrtpSender::SrtpSender(SrtpProfile profile, std::span<const uint8_t> keyMaterial, uint32_t ssrc, bool allowFastPath)
    : ssrc_(ssrc) {
    if (allowFastPath && profile == SrtpProfile::aesCm128HmacSha1_80 && FastSrtpSender::supported() &&
        keyMaterial.size() == keyMaterialLength(profile)) {
        fast_.emplace(keyMaterial);
    } else {
        session_.emplace(SrtpSession::Direction::outbound, profile, keyMaterial, ssrc);
    }
}

void SrtpSender::startAt(uint32_t roc) {
    if (session_) session_->setRolloverCounter(ssrc_, roc);
}

size_t SrtpSender::protect(std::span<uint8_t> buffer, size_t length, uint64_t index) {
    if (!session_) return fast_->protect(buffer, length, ssrc_, index);
    return session_->protectRtp(buffer, length) == SrtpResult::ok ? length : 0;
}

}  // namespace loa
