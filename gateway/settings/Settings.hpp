#pragma once
// The gateway's configuration, parsed from YAML into typed values (see config/example.yaml): the
// app's view of the whole, made of each module's own options (ingest/IngestOptions.hpp,
// pipelines/ProgrammeOptions.hpp, control/StationOptions.hpp, api/ApiOptions.hpp). No module
// below the app includes this file.

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "api/ApiOptions.hpp"
#include "common/Error.hpp"
#include "common/Log.hpp"
#include "control/StationOptions.hpp"
#include "ingest/IngestOptions.hpp"
#include "net/AddressPattern.hpp"
#include "net/SocketAddress.hpp"
#include "pipelines/ProgrammeOptions.hpp"
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

struct EmergencySettings {
    int toneMs = 3000;  ///< the alert tone (853 + 960 Hz) before the message
    /// Messages an emergency may play, by name (the API names one; no path travels over it).
    std::vector<std::pair<std::string, std::filesystem::path>> messages;
    int slots = 4;  ///< emergencies on air at once (each encoded once)
    bool operator==(const EmergencySettings&) const = default;
};

struct FanoutSettings {
    int workers = 0;    ///< 0: one per core
    int pacingMs = 15;  ///< each frame is spread over this window; 0 sends it at once
    int slots = 10;     ///< fixed pacing slots in the window
    int realtimePriority = 0;  ///< SCHED_FIFO priority of the workers; 0: normal scheduling
    bool operator==(const FanoutSettings&) const = default;
};

/// A multicast group: one packet per frame for all its receivers, under one group key.
struct MulticastGroupSettings {
    std::string id;
    std::string name;
    std::string programme;
    SocketAddress address;                   ///< IPv4 multicast group and port
    std::optional<SocketAddress> interface;  ///< IP address of the interface to send on (port 0)
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
    std::string timezone;      ///< IANA name for the schedule, e.g. Asia/Ho_Chi_Minh; empty: the system's
    int stationOfflineS = 30;  ///< a station unheard this long (no receiver report) is offline
    int auditRetentionDays = 400;     ///< audit entries older than this are deleted (hourly)...
    int64_t auditMaxRows = 1000000;   ///< ...and all but the newest this many
    int capAudioRetentionDays = 30;   ///< a CAP alert's audio file is deleted this long after it stops playing
    FanoutSettings fanout;
    /// Directories whose files schedule entries given over the API may name, besides
    /// segmentsDir() (config files may name any file: their author owns the machine).
    std::vector<std::filesystem::path> mediaRoots;
    std::filesystem::path secretFile() const { return stateDir / "secret"; }
    std::filesystem::path segmentsDir() const { return stateDir / "segments"; }
};

struct Settings {
    std::filesystem::path file;
    GatewaySettings gateway;
    std::vector<ProgrammeSettings> programmes;
    std::vector<StationSettings> stations;
    std::vector<MulticastGroupSettings> multicastGroups;
    std::vector<ScheduleEntry> schedule;
    std::optional<ApiSettings> api;
    EmergencySettings emergency;

    const ProgrammeSettings* findProgramme(std::string_view id) const;
    const StationSettings* findStation(std::string_view id) const;
    const MulticastGroupSettings* findGroup(std::string_view id) const;
};

/// One station from JSON or YAML (the control API's body), checked as the config's stations are
/// and against `settings` (its programme exists, its address is free). Throws ConfigError
/// naming `source`.
StationSettings parseStation(const std::string& text, const Settings& settings, const std::string& source);
/// Why `station`'s address cannot be a unicast station's among `settings` (empty if it can): port
/// 0, multicast, broadcast, one of this gateway's own listening sockets in any spelling
/// (0.0.0.0, ::, a loopback alias, an interface's address), or (`checkOthers`) another station's.
std::string stationAddressProblem(const StationSettings& station, const Settings& settings, bool checkOthers = true);
/// One schedule entry from JSON or YAML, checked as the config's are.
ScheduleEntry parseScheduleEntry(const std::string& text, const Settings& settings, const std::string& source);

/// Reads and validates `file`. Throws ConfigError (or loa::Error if the file can't be read).
Settings loadSettings(const std::filesystem::path& file);
/// Parses YAML text; `file` names it in errors and relative paths resolve against its directory.
Settings parseSettings(const std::string& yamlText, const std::filesystem::path& file);

}  // namespace loa
