#pragma once
// The control API's options: where it listens, its tokens, TLS, limits and the console.

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "control/Actor.hpp"
#include "net/SocketAddress.hpp"

namespace loa {

/// Who may call the control API: a name, a role and the SHA-256 of its bearer token.
struct ApiToken {
    std::string name;
    Role role = Role::viewer;
    std::array<uint8_t, 32> sha256{};
    int64_t expiresMs = 0;  ///< Unix ms after which it no longer opens anything; 0: no expiry
    bool operator==(const ApiToken&) const = default;
};

struct ApiSettings {
    SocketAddress listen;
    std::optional<std::filesystem::path> certificate, privateKey;  ///< TLS; required off loopback
    std::vector<ApiToken> tokens;
    bool twoPersonRule = true;  ///< an actual emergency needs a second operator's confirmation
    int confirmWindowS = 300;   ///< ...within this time
    int maxBodyBytes = 65536;
    int maxUploadBytes = 32 << 20;  ///< a segment file uploaded through the API
    /// The operator console's files, served under /console/; none: no console.
    std::optional<std::filesystem::path> console;
    bool operator==(const ApiSettings&) const = default;
};

}  // namespace loa
