#pragma once
// The gateway's configuration, parsed from YAML into typed values (see config/example.yaml).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/Error.hpp"
#include "common/Log.hpp"
#include "net/SocketAddress.hpp"
#include "srtp/SrtpProfile.hpp"

namespace loa {

/// A configuration error: names the file, the line and the key, and says what was expected.
class ConfigError : public Error {
public:
    ConfigError(const std::string& file, int line, const std::string& key, const std::string& problem);
    const std::string& key() const { return key_; }
    int line() const { return line_; }

private:
    std::string key_;
    int line_;
};

struct EncoderSettings {
    int bitrate = 32000;  ///< bits per second
    int channels = 1;     ///< 1 or 2
    int complexity = 5;   ///< 0..10
    int frameMs = 20;     ///< 10, 20, 40 or 60
    int samplesPerFrame() const { return 48 * frameMs; }
};

enum class PlaylistMode { loop, once, shuffle };

struct PlaylistSettings {
    PlaylistMode mode = PlaylistMode::loop;
    std::vector<std::filesystem::path> files;  ///< absolute, resolved against the config file
};

struct ProgrammeSettings {
    std::string id;
    std::string name;
    int payloadType = 96;
    EncoderSettings encoder;
    PlaylistSettings playlist;
};

struct StationSettings {
    std::string id;
    std::string name;
    std::string programme;
    SocketAddress address;  ///< where its stream goes
    SrtpProfile profile = SrtpProfile::aesCm128HmacSha1_80;
    std::optional<std::vector<uint8_t>> key;  ///< master key || salt, when given in config
};

struct FanoutSettings {
    int workers = 0;     ///< 0: one per core
    int pacingMs = 10;   ///< each frame is spread over this window; 0 sends it at once
    int slots = 10;      ///< fixed pacing slots in the window
};

/// A multicast group: one packet per frame for all its receivers, under one group key.
struct MulticastGroupSettings {
    std::string id;
    std::string name;
    std::string programme;
    SocketAddress address;                    ///< IPv4 multicast group and port
    std::optional<SocketAddress> interface;   ///< IP address of the interface to send on (port 0)
    int ttl = 1;
    SrtpProfile profile = SrtpProfile::aesCm128HmacSha1_80;
    std::optional<std::vector<uint8_t>> key;  ///< master key || salt, when given in config
};

struct GatewaySettings {
    std::string id;
    std::filesystem::path stateDir;  ///< holds the secret (and later the database)
    SocketAddress mediaListen;
    uint8_t priorityExtensionId = 1;
    log::Level logLevel = log::Level::info;
    FanoutSettings fanout;
    std::filesystem::path secretFile() const { return stateDir / "secret"; }
};

struct Settings {
    std::filesystem::path file;
    GatewaySettings gateway;
    std::vector<ProgrammeSettings> programmes;
    std::vector<StationSettings> stations;
    std::vector<MulticastGroupSettings> multicastGroups;

    const ProgrammeSettings* findProgramme(std::string_view id) const;
    const StationSettings* findStation(std::string_view id) const;
    const MulticastGroupSettings* findGroup(std::string_view id) const;
};

/// Reads and validates `file`. Throws ConfigError (or loa::Error if the file can't be read).
Settings loadSettings(const std::filesystem::path& file);
/// Parses YAML text; `file` names it in errors and relative paths resolve against its directory.
Settings parseSettings(const std::string& yamlText, const std::filesystem::path& file);

}  // namespace loa
