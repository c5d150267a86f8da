#include "srtp/StationKeys.hpp"
#include <algorithm>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

#include "common/Base64.hpp"
#include "common/Error.hpp"
#include "crypto/Hkdf.hpp"

namespace loa {
namespace {
std::span<const uint8_t> bytesOf(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

constexpr std::string_view kSalt = "loa/srtp/v1";

std::vector<uint8_t> deriveKey(std::span<const uint8_t> secret, std::string_view kind, std::string_view id,
                               SrtpProfile profile) {
    std::string infoText(kind);
    infoText += ':';
    infoText += info(profile).configName;
    infoText += ':';
    infoText += id;
    return hkdfSha256(secret, bytesOf(kSalt), bytesOf(infoText), keyMaterialLength(profile));
}

uint32_t deriveSsrc(std::span<const uint8_t> secret, std::string_view kind, std::string_view id) {
    const std::string infoText = std::string(kind) + ":" + std::string(id);
    const auto b = hkdfSha256(secret, bytesOf(kSalt), bytesOf(infoText), 4);
    return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
}
}  // namespace

std::vector<uint8_t> deriveStationKey(std::span<const uint8_t> gatewaySecret, std::string_view stationId,
                                      SrtpProfile profile, uint32_t epoch) {
    if (epoch == 0) return deriveKey(gatewaySecret, "station", stationId, profile);
    return deriveKey(gatewaySecret, "station", std::string(stationId) + ":epoch:" + std::to_string(epoch), profile);
}

std::vector<uint8_t> deriveGroupKey(std::span<const uint8_t> gatewaySecret, std::string_view groupId,
                                    SrtpProfile profile) {
    return deriveKey(gatewaySecret, "group", groupId, profile);
}

std::vector<uint8_t> deriveIngestKey(std::span<const uint8_t> gatewaySecret, std::string_view ingestName,
                                     SrtpProfile profile) {
    return deriveKey(gatewaySecret, "ingest", ingestName, profile);
}

uint32_t deriveGroupSsrc(std::span<const uint8_t> gatewaySecret, std::string_view groupId) {
    return deriveSsrc(gatewaySecret, "group-ssrc", groupId);
}

uint32_t deriveStationSsrc(std::span<const uint8_t> gatewaySecret, std::string_view stationId) {
    return deriveSsrc(gatewaySecret, "ssrc", stationId);
}

std::string keyFingerprint(std::span<const uint8_t> keyMaterial) {
    return hexEncode(hkdfSha256(keyMaterial, bytesOf(kSalt), bytesOf("key-id"), 8));
}

uint32_t gatewayTag(std::string_view gatewayId) {
    const auto b = hkdfSha256(bytesOf(gatewayId), bytesOf(kSalt), bytesOf("gateway-tag"), 4);
    return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
}

std::vector<uint8_t> loadOrCreateSecret(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) {
        if (errno != ENOENT) throwSystemError("cannot read gateway secret " + path.string(), errno);
        // The state directory is created private whatever the umask (it holds the secret, the
        // database with keys given through the API, and the replay floors).
        std::error_code ec;
        const auto dir = path.parent_path();
        if (!dir.parent_path().empty()) std::filesystem::create_directories(dir.parent_path(), ec);
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
            throwSystemError("cannot create the state directory " + dir.string(), errno);
        std::vector<uint8_t> secret(32);
        secureRandom(secret);
        // Written whole under a name of its own, then linked into place: another process (the
        // keys command beside a first start) sees no secret or the whole one, never a part.
        std::vector<uint8_t> tag(8);
        secureRandom(tag);  // (a name no other process or thread writes at once)
        const auto partial = path.string() + ".new." + hexEncode(tag);
        const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) throwSystemError("cannot create gateway secret " + path.string(), errno);
        const std::string text = hexEncode(secret) + "\n";
        const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
        const int writeError = errno;
        ::close(fd);
        if (!ok) {
            ::unlink(partial.c_str());
            throwSystemError("cannot write gateway secret " + path.string(), writeError);
        }
        const bool linked = ::link(partial.c_str(), path.c_str()) == 0;  // fails if it exists: never replaced
        const int linkError = errno;
        ::unlink(partial.c_str());
        if (!linked) {
            if (linkError == EEXIST) return loadOrCreateSecret(path);  // another process created it first
            throwSystemError("cannot create gateway secret " + path.string(), linkError);
        }
        if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
            ::fsync(dfd);  // the name is durable too
            ::close(dfd);
        }
        return secret;
    }
    std::stringstream text;
    text << in.rdbuf();
    std::string hex = text.str();
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' '))
        hex.pop_back();
    auto secret = hexDecode(hex);
    if (!secret) throw Error("gateway secret " + path.string() + " is not hexadecimal");
    if (secret->size() < 16) throw Error("gateway secret " + path.string() + " is shorter than 16 bytes");
    // A secret of one repeated byte, or a counting one, is an example pasted in, not a secret.
    const bool repeated = std::all_of(secret->begin(), secret->end(), [&](uint8_t b) { return b == secret->front(); });
    bool counting = true;
    for (size_t i = 1; i < secret->size(); ++i)
        counting = counting && (*secret)[i] == static_cast<uint8_t>((*secret)[i - 1] + 1);
    if (repeated || counting) {
        throw Error("gateway secret " + path.string() +
                    " is an example, not a secret: delete it and a random one is made at the next start");
    }
    return *secret;
}

}  // namespace loa
