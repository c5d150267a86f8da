#include "srtp/SrtpSession.hpp"

#include <srtp2/srtp.h>
// libsrtp's stream layout (installed with this exact build by scripts/build-srtp), for
// setRtcpIndex only.
#include <srtp_priv.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <utility>

#include "common/Error.hpp"

namespace loa {
namespace {

const char* describe(srtp_err_status_t s) {
    switch (s) {
        case srtp_err_status_ok:
            return "ok";
        case srtp_err_status_fail:
            return "unspecified failure";
        case srtp_err_status_bad_param:
            return "bad parameter";
        case srtp_err_status_alloc_fail:
            return "out of memory";
        case srtp_err_status_init_fail:
            return "initialisation failed";
        case srtp_err_status_auth_fail:
            return "authentication failed";
        case srtp_err_status_cipher_fail:
            return "cipher failed";
        case srtp_err_status_replay_fail:
            return "replayed packet";
        case srtp_err_status_replay_old:
            return "packet too old for the replay window";
        case srtp_err_status_key_expired:
            return "key usage limit reached";
        case srtp_err_status_parse_err:
            return "malformed packet";
        case srtp_err_status_bad_mki:
            return "bad MKI";
        default:
            return "libsrtp error";
    }
}

SrtpResult toResult(srtp_err_status_t s) {
    switch (s) {
        case srtp_err_status_ok:
            return SrtpResult::ok;
        case srtp_err_status_auth_fail:
            return SrtpResult::authFailed;
        case srtp_err_status_replay_fail:
        case srtp_err_status_replay_old:
            return SrtpResult::replay;
        case srtp_err_status_parse_err:
        case srtp_err_status_bad_param:
            return SrtpResult::badPacket;
        case srtp_err_status_key_expired:
            return SrtpResult::keyExpired;
        default:
            return SrtpResult::failed;
    }
}

template <class Fn>
SrtpResult apply(void* session, std::span<uint8_t> buffer, size_t& length, size_t trailer, Fn fn) {
    if (length > buffer.size() || buffer.size() - length < trailer || length > 65535) return SrtpResult::badPacket;
    int len = static_cast<int>(length);
    const auto status = fn(static_cast<srtp_t>(session), buffer.data(), &len);
    if (status != srtp_err_status_ok) return toResult(status);
    length = static_cast<size_t>(len);
    return SrtpResult::ok;
}

}  // namespace

void initLibSrtp() {
    static std::once_flag once;
    static srtp_err_status_t status = srtp_err_status_ok;
    std::call_once(once, [] { status = srtp_init(); });
    if (status != srtp_err_status_ok) throw Error(std::string("libsrtp initialisation failed: ") + describe(status));
}

std::string libSrtpVersion() {
    return srtp_get_version_string();
}

std::string_view toString(SrtpResult r) {
    switch (r) {
        case SrtpResult::ok:
            return "ok";
        case SrtpResult::authFailed:
            return "authentication failed";
        case SrtpResult::replay:
            return "replay";
        case SrtpResult::badPacket:
            return "malformed packet";
        case SrtpResult::keyExpired:
            return "key expired";
        case SrtpResult::failed:
            return "failed";
    }
    return "?";
}

namespace {
srtp_policy_t makePolicy(SrtpProfile profile, const uint8_t* key, srtp_ssrc_t ssrc) {
    srtp_policy_t policy;
    std::memset(&policy, 0, sizeof policy);
    if (profile == SrtpProfile::aeadAes128Gcm) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
    } else {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
    }
    policy.ssrc = ssrc;
    policy.key = const_cast<unsigned char*>(key);  // libsrtp copies it
    policy.window_size = 1024;
    policy.allow_repeat_tx = 0;
    return policy;
}
}  // namespace

SrtpSession::SrtpSession(Direction direction, SrtpProfile profile, std::span<const uint8_t> keyMaterial,
                         std::optional<uint32_t> ssrc)
    : profile_(profile), direction_(direction) {
    initLibSrtp();
    if (keyMaterial.size() != keyMaterialLength(profile)) {
        throw Error("SRTP key for " + std::string(info(profile).sdesName) + " must be " +
                    std::to_string(keyMaterialLength(profile)) + " bytes, got " + std::to_string(keyMaterial.size()));
    }
    std::copy(keyMaterial.begin(), keyMaterial.end(), key_.begin());
    const srtp_ssrc_t which =
        ssrc ? srtp_ssrc_t{ssrc_specific, *ssrc}
             : srtp_ssrc_t{direction == Direction::outbound ? ssrc_any_outbound : ssrc_any_inbound, 0};
    const srtp_policy_t policy = makePolicy(profile, key_.data(), which);
    srtp_t session = nullptr;
    const auto status = srtp_create(&session, &policy);
    if (status != srtp_err_status_ok) throw Error(std::string("cannot create SRTP session: ") + describe(status));
    session_ = session;
}

SrtpSession::~SrtpSession() {
    if (session_) srtp_dealloc(static_cast<srtp_t>(session_));
}

SrtpSession::SrtpSession(SrtpSession&& other) noexcept
    : session_(std::exchange(other.session_, nullptr)),
      profile_(other.profile_),
      direction_(other.direction_),
      key_(other.key_) {}

SrtpSession& SrtpSession::operator=(SrtpSession&& other) noexcept {
    if (this != &other) {
        if (session_) srtp_dealloc(static_cast<srtp_t>(session_));
        session_ = std::exchange(other.session_, nullptr);
        profile_ = other.profile_;
        direction_ = other.direction_;
        key_ = other.key_;
    }
    return *this;
}

SrtpResult SrtpSession::setRolloverCounter(uint32_t ssrc, uint32_t roc) {
    auto* session = static_cast<srtp_t>(session_);
    if (srtp_set_stream_roc(session, ssrc, roc) == srtp_err_status_ok) return SrtpResult::ok;
    // No stream for this SSRC yet: add one, with the session's key, then set its ROC.
    const srtp_policy_t policy = makePolicy(profile_, key_.data(), srtp_ssrc_t{ssrc_specific, ssrc});
    if (const auto status = srtp_add_stream(session, &policy); status != srtp_err_status_ok) return toResult(status);
    return toResult(srtp_set_stream_roc(session, ssrc, roc));
}

std::optional<uint32_t> SrtpSession::rolloverCounter(uint32_t ssrc) const {
    uint32_t roc = 0;
    if (srtp_get_stream_roc(static_cast<srtp_t>(session_), ssrc, &roc) != srtp_err_status_ok) return std::nullopt;
    return roc;
}

SrtpResult SrtpSession::protectRtp(std::span<uint8_t> buffer, size_t& length) {
    return apply(session_, buffer, length, info(profile_).maxTrailer,
                 [](srtp_t s, uint8_t* p, int* l) { return srtp_protect(s, p, l); });
}

SrtpResult SrtpSession::unprotectRtp(std::span<uint8_t> buffer, size_t& length) {
    return apply(session_, buffer, length, 0, [](srtp_t s, uint8_t* p, int* l) { return srtp_unprotect(s, p, l); });
}

SrtpResult SrtpSession::unprotectRtpAt(std::span<uint8_t> buffer, size_t& length, uint32_t roc) {
    if (length < 12 || length > buffer.size()) return SrtpResult::badPacket;
    const uint32_t ssrc = uint32_t{buffer[8]} << 24 | uint32_t{buffer[9]} << 16 | uint32_t{buffer[10]} << 8 | buffer[11];
    auto* session = static_cast<srtp_t>(session_);
    // Set for every packet, even when unchanged: libsrtp keeps a pending counter until a packet
    // authenticates, so a forged packet's counter must not stand for the genuine ones after it.
    if (srtp_set_stream_roc(session, ssrc, roc) == srtp_err_status_ok || roc == 0) return unprotectRtp(buffer, length);
    // A new SSRC at a counter above 0: a stream of its own, kept only if the packet authenticates.
    const srtp_policy_t policy = makePolicy(profile_, key_.data(), srtp_ssrc_t{ssrc_specific, ssrc});
    if (const auto status = srtp_add_stream(session, &policy); status != srtp_err_status_ok) return toResult(status);
    srtp_set_stream_roc(session, ssrc, roc);
    const SrtpResult result = unprotectRtp(buffer, length);
    if (result != SrtpResult::ok) srtp_remove_stream(session, htonl(ssrc));
    return result;
}

SrtpResult SrtpSession::protectRtcp(std::span<uint8_t> buffer, size_t& length) {
    return apply(session_, buffer, length, info(profile_).maxTrailer + 4,
                 [](srtp_t s, uint8_t* p, int* l) { return srtp_protect_rtcp(s, p, l); });
}

SrtpResult SrtpSession::setRtcpIndex(uint32_t ssrc, uint32_t next) {
    if (next == 0 || next > kMaxRtcpIndex) return SrtpResult::failed;
    srtp_stream_ctx_t* stream = srtp_get_stream(static_cast<srtp_t>(session_), htonl(ssrc));
    if (!stream) return SrtpResult::failed;
    // protect_rtcp increments the counter, then sends the value: it holds the last one sent.
    stream->rtcp_rdb.window_start = next - 1;
    return SrtpResult::ok;
}

std::optional<uint32_t> SrtpSession::rtcpIndexOf(SrtpProfile profile, std::span<const uint8_t> packet) {
    // RFC 3711 §3.4: E flag and index, then the tag; RFC 7714 §17: the tag is inside the
    // ciphertext and the E flag and index come last.
    const size_t tag = profile == SrtpProfile::aeadAes128Gcm ? 0 : info(profile).maxTrailer;
    if (packet.size() < 8 + tag + 4) return std::nullopt;
    const auto* p = packet.data() + packet.size() - tag - 4;
    return (uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]) & kMaxRtcpIndex;
}

SrtpResult SrtpSession::unprotectRtcp(std::span<uint8_t> buffer, size_t& length) {
    return apply(session_, buffer, length, 0,
                 [](srtp_t s, uint8_t* p, int* l) { return srtp_unprotect_rtcp(s, p, l); });
}

}  // namespace loa
