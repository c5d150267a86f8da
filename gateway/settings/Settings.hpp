#pragma once
// The gateway's configuration, parsed from YAML into typed values (see config/example.yaml).

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/Error.hpp"
#include "common/Log.hpp"
#include "net/AddressPattern.hpp"
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

/// Opus's coding mode: lowdelay (CELT only) looks ahead 2.5 ms instead of 6.5 ms.
enum class OpusApplication { audio, voip, lowdelay };

struct EncoderSettings {
    int bitrate = 32000;  ///< bits per second
    int channels = 1;     ///< 1 or 2
    int complexity = 5;   ///< 0..10
    int frameMs = 20;     ///< 10, 20, 40 or 60
    OpusApplication application = OpusApplication::audio;
    int samplesPerFrame() const { return 48 * frameMs; }
    bool operator==(const EncoderSettings&) const = default;
};

/// Playing over the source below instead of replacing it: the lower one is attenuated.
struct DuckSettings {
    double gainDb = -15;  ///< level of the source underneath while ducked
    int attackMs = 100;   ///< ramp down
    int releaseMs = 500;  ///< ramp back up
    bool operator==(const DuckSettings&) const = default;
};

/// RTP or SRTP Opus arriving on a UDP port: the studio's live feed or a parent gateway's programme.
struct IngestSettings {
    SocketAddress listen;
    int payloadType = 96;
    SrtpProfile profile = SrtpProfile::aesCm128HmacSha1_80;
    std::optional<std::vector<uint8_t>> key;  ///< master key || salt; none: derived (loa-gateway keys --ingest)
    bool allowPlainRtp = false;               ///< accept unauthenticated RTP (a trusted studio LAN only)
    int jitterMs = 40;                        ///< buffer depth, 20..200
    int timeoutMs = 500;                      ///< without packets this long, the source yields
    int returnMs = 2000;                      ///< back and audible this long before it takes over again
    double silenceDbfs = -50;                 ///< below this level the feed counts as silent...
    int silenceS = 10;                        ///< ...and yields after this long (0: never)
    int ssrcTakeoverMs = 1000;                ///< a new SSRC replaces the locked one after its silence
    /// Where its packets may come from (addresses, address:port, networks); empty: anywhere.
    std::vector<AddressPattern> sources;
    /// An upstream's parent gateway, by its gateway.id: names the origin of the alerts it
    /// triggers in this gateway's records (others show their origin's tag).
    std::string parent;
    double gainDb = 0;
    std::optional<DuckSettings> duck;
    bool operator==(const IngestSettings&) const = default;
};

enum class PlaylistMode { loop, once, shuffle };

struct PlaylistSettings {
    PlaylistMode mode = PlaylistMode::loop;
    std::vector<std::filesystem::path> files;  ///< absolute, resolved against the config file
    bool operator==(const PlaylistSettings&) const = default;
};

/// Loudness normalisation of every source of a programme to one target level.
struct LoudnessSettings {
    double targetDbfs = -20;  ///< mean level of audible passages (RMS, dBFS)
    double maxGainDb = 10;    ///< the most it raises or lowers a source
    bool operator==(const LoudnessSettings&) const = default;
};

/// Segments: a playlist at the scheduled level, or the filler loop.
struct SegmentSettings {
    PlaylistSettings playlist;
    double gainDb = 0;
    bool operator==(const SegmentSettings&) const = default;
};

struct ProgrammeSettings {
    std::string id;
    std::string name;
    int payloadType = 96;
    EncoderSettings encoder;
    int crossfadeMs = 50;                      ///< every switch between sources
    std::optional<LoudnessSettings> loudness;  ///< none: sources play at their own level
    std::optional<IngestSettings> live;        ///< the studio feed (priority live)
    std::optional<IngestSettings> upstream;    ///< the parent gateway (priority upstream, or its own)
    std::optional<SegmentSettings> playlist;   ///< continuous segments (priority scheduled)
    std::optional<SegmentSettings> filler;     ///< none: silence
    bool operator==(const ProgrammeSettings&) const = default;
};

enum class SchedulePriority { normal, bulletin };

/// One entry of the schedule: files played once, at a time of day in the gateway's time zone,
/// every day, on some weekdays, or on one date.
struct ScheduleEntry {
    std::string id;
    std::string programme;
    int secondOfDay = 0;
    uint8_t weekdays = 0;                    ///< bit d for weekday d (0 = Sunday); 0 with no date: every day
    std::optional<std::array<int, 3>> date;  ///< year, month, day: one-off
    std::vector<std::filesystem::path> files;
    SchedulePriority priority = SchedulePriority::normal;
    double gainDb = 0;
    std::optional<DuckSettings> duck;
    bool operator==(const ScheduleEntry&) const = default;
};

struct StationSettings {
    std::string id;
    std::string name;
    std::string programme;
    SocketAddress address;  ///< where its stream goes; unset (length 0): learned from its reports
    int port = 5004;        ///< without an address: the port its SDP tells it to receive on
    bool learnsAddress() const { return address.length() == 0; }
    SrtpProfile profile = SrtpProfile::aesCm128HmacSha1_80;
    std::optional<std::vector<uint8_t>> key;  ///< master key || salt, when given in config
    /// Administrative area: province / district / commune codes, e.g. "01/001/00001".
    std::string area;
    std::vector<std::string> groups;  ///< named groups an emergency can target
    bool acceptsTests = false;        ///< receives test and exercise emergencies
    /// Its derived key's epoch: raised by an operator's re-key (state database), never in YAML.
    uint32_t keyEpoch = 0;
};

/// Who may call the control API: a name, a role and the SHA-256 of its bearer token.
enum class ApiRole { viewer, operator_, emergency, admin };
std::string_view toString(ApiRole role);

struct ApiToken {
    std::string name;
    ApiRole role = ApiRole::viewer;
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
