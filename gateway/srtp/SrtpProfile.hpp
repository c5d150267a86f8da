#pragma once
// The SRTP protection profiles Loa speaks, with their SDES names (RFC 4568) and key sizes.

#include <cstddef>
#include <optional>
#include <string_view>

namespace loa {

enum class SrtpProfile { aesCm128HmacSha1_80, aeadAes128Gcm };

struct SrtpProfileInfo {
    std::string_view sdesName;    ///< crypto-suite name in a=crypto lines
    std::string_view configName;  ///< name in Loa's YAML config
    std::string_view gstCipher;   ///< GStreamer srtpdec caps: srtp-cipher
    std::string_view gstAuth;     ///< GStreamer srtpdec caps: srtp-auth
    size_t keyLength;             ///< master key bytes
    size_t saltLength;            ///< master salt bytes
    size_t maxTrailer;            ///< bytes protect() may add to an RTP packet
};

const SrtpProfileInfo& info(SrtpProfile profile);
inline size_t keyMaterialLength(SrtpProfile p) {
    return info(p).keyLength + info(p).saltLength;
}
std::optional<SrtpProfile> profileFromConfigName(std::string_view name);
std::optional<SrtpProfile> profileFromSdesName(std::string_view name);

}  // namespace loa
