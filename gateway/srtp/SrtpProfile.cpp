#include "srtp/SrtpProfile.hpp"

namespace loa {
namespace {
constexpr SrtpProfileInfo kCm80{
    "AES_CM_128_HMAC_SHA1_80", "aes-cm-128-hmac-sha1-80", "aes-128-icm", "hmac-sha1-80", 16, 14, 10};
constexpr SrtpProfileInfo kGcm{"AEAD_AES_128_GCM", "aead-aes-128-gcm", "aes-128-gcm", "null", 16, 12, 16};
}  // namespace

const SrtpProfileInfo& info(SrtpProfile profile) {
    return profile == SrtpProfile::aeadAes128Gcm ? kGcm : kCm80;
}

std::optional<SrtpProfile> profileFromConfigName(std::string_view name) {
    if (name == kCm80.configName) return SrtpProfile::aesCm128HmacSha1_80;
    if (name == kGcm.configName) return SrtpProfile::aeadAes128Gcm;
    return std::nullopt;
}

std::optional<SrtpProfile> profileFromSdesName(std::string_view name) {
    if (name == kCm80.sdesName) return SrtpProfile::aesCm128HmacSha1_80;
    if (name == kGcm.sdesName) return SrtpProfile::aeadAes128Gcm;
    return std::nullopt;
}

}  // namespace loa
