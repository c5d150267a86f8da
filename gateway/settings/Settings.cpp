#include "settings/Settings.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <utility>

#include <ifaddrs.h>
#include <net/if.h>
#include <openssl/sha.h>

#include "common/Base64.hpp"

namespace loa {

ConfigError::ConfigError(const std::string& file, int line, const std::string& key, const std::string& problem)
    : Error(file + ":" + std::to_string(line) + ": " + key + ": " + problem), key_(key), line_(line) {}

const ProgrammeSettings* Settings::findProgramme(std::string_view id) const {
    auto it = std::find_if(programmes.begin(), programmes.end(), [&](const auto& p) { return p.id == id; });
    return it == programmes.end() ? nullptr : &*it;
}

const StationSettings* Settings::findStation(std::string_view id) const {
    auto it = std::find_if(stations.begin(), stations.end(), [&](const auto& s) { return s.id == id; });
    return it == stations.end() ? nullptr : &*it;
}

const MulticastGroupSettings* Settings::findGroup(std::string_view id) const {
    auto it = std::find_if(multicastGroups.begin(), multicastGroups.end(), [&](const auto& g) { return g.id == id; });
    return it == multicastGroups.end() ? nullptr : &*it;
}

namespace {
SocketAddress unmapped(const SocketAddress& a);

/// Where we are in the document, for error messages.
struct Context {
    std::string file;
    std::filesystem::path baseDir;
    /// Where files may be (empty: anywhere); relative names are taken from baseDir.
    std::vector<std::filesystem::path> roots;
};

int lineOf(const YAML::Node& n) {
    return n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
}

std::string describeType(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Map:
            return "a mapping";
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Null:
            return "nothing";
        case YAML::NodeType::Scalar:
            return "'" + n.Scalar() + "'";
        default:
            return "an undefined value";
    }
}

/// Reads one YAML mapping: typed fields by key, then finish() rejects unknown and duplicate keys.
class MapReader {
public:
    MapReader(const Context& ctx, const YAML::Node& node, std::string path)
        : ctx_(ctx), node_(node), path_(std::move(path)) {
        if (!node.IsMap()) fail(node, path_, "expected a mapping, got " + describeType(node));
        std::set<std::string> seen;
        for (const auto& kv : node) {
            const auto key = kv.first.Scalar();
            if (!seen.insert(key).second) fail(kv.first, keyPath(key), "duplicate key");
        }
    }

    [[noreturn]] void fail(const YAML::Node& at, const std::string& key, const std::string& problem) const {
        throw ConfigError(ctx_.file, lineOf(at), key, problem);
    }
    std::string keyPath(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
    const Context& context() const { return ctx_; }

    bool has(const std::string& key) const { return static_cast<bool>(std::as_const(node_)[key]); }

    YAML::Node node(const std::string& key, bool required) {
        known_.insert(key);
        YAML::Node n = std::as_const(node_)[key];  // const lookup never inserts
        if (!n && required) fail(node_, keyPath(key), "missing (required)");
        return n;
    }

    std::string string(const std::string& key, std::optional<std::string> fallback = std::nullopt) {
        YAML::Node n = node(key, !fallback);
        if (!n) return *fallback;
        if (!n.IsScalar() || n.Scalar().empty())
            fail(n, keyPath(key), "expected a non-empty string, got " + describeType(n));
        return n.Scalar();
    }

    int integer(const std::string& key, int lo, int hi, std::optional<int> fallback = std::nullopt) {
        YAML::Node n = node(key, !fallback);
        if (!n) return *fallback;
        const std::string expected = "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
        if (!n.IsScalar()) fail(n, keyPath(key), expected + ", got " + describeType(n));
        long value = 0;
        size_t used = 0;
        try {
            value = std::stol(n.Scalar(), &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != n.Scalar().size()) fail(n, keyPath(key), expected + ", got " + describeType(n));
        if (value < lo || value > hi) fail(n, keyPath(key), expected + ", got " + n.Scalar());
        return static_cast<int>(value);
    }

    double decimal(const std::string& key, double lo, double hi, double fallback) {
        YAML::Node n = node(key, false);
        if (!n) return fallback;
        std::ostringstream expected;
        expected << "expected a number from " << lo << " to " << hi;
        double value = 0;
        size_t used = 0;
        if (n.IsScalar()) {
            try {
                value = std::stod(n.Scalar(), &used);
            } catch (const std::exception&) {
                used = 0;
            }
        }
        if (used == 0 || used != n.Scalar().size() || !(value >= lo && value <= hi))
            fail(n, keyPath(key), expected.str() + ", got " + describeType(n));
        return value;
    }

    bool boolean(const std::string& key, bool fallback) {
        return choice<bool>(key, {{"true", true}, {"false", false}}, fallback);
    }

    template <class T>
    T choice(const std::string& key, const std::vector<std::pair<std::string, T>>& options, std::optional<T> fallback) {
        YAML::Node n = node(key, !fallback);
        if (!n) return *fallback;
        std::string names;
        for (const auto& [name, value] : options) {
            if (n.IsScalar() && n.Scalar() == name) return value;
            names += (names.empty() ? "" : ", ") + name;
        }
        fail(n, keyPath(key), "expected one of " + names + ", got " + describeType(n));
    }

    SocketAddress address(const std::string& key) {
        YAML::Node n = node(key, true);
        auto a = n.IsScalar() ? SocketAddress::parse(n.Scalar()) : std::nullopt;
        if (!a)
            fail(n, keyPath(key),
                 "expected an IP address and port such as 127.0.0.1:5004 or [::1]:5004, got " + describeType(n));
        return *a;
    }

    std::filesystem::path path(const std::string& key, std::optional<std::string> fallback = std::nullopt) {
        std::filesystem::path p = string(key, std::move(fallback));
        return p.is_absolute() ? p : (ctx_.baseDir / p).lexically_normal();
    }

    void finish() const {
        for (const auto& kv : node_) {
            const auto key = kv.first.Scalar();
            if (!known_.count(key)) fail(kv.first, keyPath(key), "unknown key");
        }
    }

private:
    const Context& ctx_;
    YAML::Node node_;
    std::string path_;
    std::set<std::string> known_;
};

/// Calls `each(node, path)` for every entry of the list at `key`.
void forEachInList(MapReader& parent, const std::string& key, bool required,
                   const std::function<void(const YAML::Node&, const std::string&)>& each) {
    YAML::Node list = parent.node(key, required);
    if (!list) return;
    if (!list.IsSequence()) parent.fail(list, parent.keyPath(key), "expected a list, got " + describeType(list));
    for (size_t i = 0; i < list.size(); ++i)
        each(list[i], parent.keyPath(key) + "[" + std::to_string(i) + "]");
}

/// An id: 1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or digit (so never "." or "..",
/// never a hidden file's name, never an option).
bool validId(const std::string& id) {
    const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
    return !id.empty() && id.size() <= 64 && alnum(id.front()) &&
           std::all_of(id.begin(), id.end(), [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

std::string readId(MapReader& r, const std::string& key) {
    const std::string id = r.string(key);
    if (!validId(id)) {
        r.fail(r.node(key, true), r.keyPath(key),
               "expected 1 to 64 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit, got '" + id + "'");
    }
    return id;
}

GatewaySettings readGateway(const Context& ctx, const YAML::Node& node) {
    MapReader r(ctx, node, "gateway");
    GatewaySettings g;
    g.id = readId(r, "id");
    g.stateDir = r.path("state_dir");
    {
        MapReader media(ctx, r.node("media", true), "gateway.media");
        g.mediaListen = media.address("listen");
        media.finish();
    }
    g.priorityExtensionId = static_cast<uint8_t>(r.integer("priority_extension_id", 1, 14, 1));
    if (r.has("fanout")) {
        MapReader f(ctx, r.node("fanout", false), "gateway.fanout");
        g.fanout.workers = f.integer("workers", 0, 64, 0);
        g.fanout.pacingMs = f.integer("pacing_ms", 0, 60, 15);
        g.fanout.slots = f.integer("slots", 1, 100, 10);
        g.fanout.realtimePriority = f.integer("realtime_priority", 0, 99, 0);
        f.finish();
    } else {
        r.node("fanout", false);
    }
    if (r.has("timezone")) {
        g.timezone = r.string("timezone");
        std::error_code ec;
        if (g.timezone.find("..") != std::string::npos || g.timezone.front() == '/' ||
            !std::filesystem::is_regular_file(std::filesystem::path("/usr/share/zoneinfo") / g.timezone, ec)) {
            r.fail(r.node("timezone", true), r.keyPath("timezone"),
                   "no such time zone '" + g.timezone + "' (expected an IANA name such as Asia/Ho_Chi_Minh)");
        }
    } else {
        r.node("timezone", false);
    }
    g.stationOfflineS = r.integer("station_offline_s", 5, 3600, g.stationOfflineS);
    g.auditRetentionDays = r.integer("audit_retention_days", 1, 36500, g.auditRetentionDays);
    g.auditMaxRows = r.integer("audit_max_rows", 1000, 1000000000, static_cast<int>(g.auditMaxRows));
    g.capAudioRetentionDays = r.integer("cap_audio_retention_days", 1, 3650, g.capAudioRetentionDays);
    forEachInList(r, "media_roots", false, [&](const YAML::Node& n, const std::string& path) {
        std::filesystem::path root = n.IsScalar() ? n.Scalar() : "";
        if (root.empty()) r.fail(n, path, "expected a directory");
        if (!root.is_absolute()) root = (ctx.baseDir / root).lexically_normal();
        g.mediaRoots.push_back(root);
    });
    const std::string level = r.string("log_level", "info");
    if (!log::parseLevel(level, g.logLevel)) {
        r.fail(r.node("log_level", false), r.keyPath("log_level"),
               "expected trace, debug, info, warn, error or off, got '" + level + "'");
    }
    r.finish();
    return g;
}

std::vector<std::filesystem::path> readFiles(const Context& ctx, MapReader& r) {
    std::vector<std::filesystem::path> files;
    forEachInList(r, "files", true, [&](const YAML::Node& f, const std::string& fpath) {
        if (!f.IsScalar() || f.Scalar().empty()) r.fail(f, fpath, "expected a file path, got " + describeType(f));
        std::filesystem::path file = f.Scalar();
        if (!file.is_absolute()) file = (ctx.baseDir / file).lexically_normal();
        std::error_code ec;
        if (!ctx.roots.empty()) {
            // Decided before the file is looked at (no existence oracle), on the path with its
            // links and dot-dots resolved.
            const auto real = std::filesystem::weakly_canonical(file, ec);
            const bool inside = !ec && std::any_of(ctx.roots.begin(), ctx.roots.end(), [&](const auto& root) {
                std::error_code rc;
                const auto base = std::filesystem::weakly_canonical(root, rc);
                const auto rel = real.lexically_relative(base);
                return !rc && !rel.empty() && *rel.begin() != "..";
            });
            if (!inside) {
                std::string roots;
                for (const auto& root : ctx.roots)
                    roots += (roots.empty() ? "" : ", ") + root.string();
                r.fail(f, fpath, "a file must be in the segments directory or a gateway.media_roots directory (" + roots +
                                     "): upload it to /api/segments first");
            }
            file = real;
        }
        if (!std::filesystem::is_regular_file(file, ec)) r.fail(f, fpath, "no such file: " + file.string());
        files.push_back(file);
    });
    if (files.empty()) r.fail(r.node("files", true), r.keyPath("files"), "expected at least one file");
    return files;
}

std::optional<DuckSettings> readDuck(const Context& ctx, MapReader& r) {
    if (!r.has("duck")) {
        r.node("duck", false);
        return std::nullopt;
    }
    MapReader d(ctx, r.node("duck", true), r.keyPath("duck"));
    DuckSettings duck;
    duck.gainDb = d.decimal("gain_db", -60, 0, duck.gainDb);
    duck.attackMs = d.integer("attack_ms", 0, 10000, duck.attackMs);
    duck.releaseMs = d.integer("release_ms", 0, 10000, duck.releaseMs);
    d.finish();
    return duck;
}

SegmentSettings readSegments(const Context& ctx, const YAML::Node& node, const std::string& path) {
    MapReader r(ctx, node, path);
    SegmentSettings s;
    s.playlist.mode = r.choice<PlaylistMode>(
        "mode", {{"loop", PlaylistMode::loop}, {"once", PlaylistMode::once}, {"shuffle", PlaylistMode::shuffle}},
        PlaylistMode::loop);
    s.playlist.files = readFiles(ctx, r);
    s.gainDb = r.decimal("gain_db", -60, 20, 0);
    r.finish();
    return s;
}

SrtpProfile readProfile(MapReader& r) {
    return r.choice<SrtpProfile>("srtp_profile",
                                 {{"aes-cm-128-hmac-sha1-80", SrtpProfile::aesCm128HmacSha1_80},
                                  {"aead-aes-128-gcm", SrtpProfile::aeadAes128Gcm}},
                                 SrtpProfile::aesCm128HmacSha1_80);
}

std::optional<std::vector<uint8_t>> readKey(MapReader& r, SrtpProfile profile) {
    if (!r.has("key")) return std::nullopt;
    const auto keyNode = r.node("key", true);
    const auto want = keyMaterialLength(profile);
    auto key = keyNode.IsScalar() ? base64Decode(keyNode.Scalar()) : std::nullopt;
    if (!key || key->size() != want) {
        r.fail(keyNode, r.keyPath("key"),
               "expected base64 of " + std::to_string(want) + " bytes (master key and salt for " +
                   std::string(info(profile).configName) + ")");
    }
    return key;
}

IngestSettings readIngest(const Context& ctx, const YAML::Node& node, const std::string& path) {
    MapReader r(ctx, node, path);
    IngestSettings in;
    in.listen = r.address("listen");
    in.payloadType = r.integer("payload_type", 96, 127, 96);
    std::vector<std::pair<std::string, std::string>> codecs;
    for (const auto codec : kIngestCodecs)
        codecs.emplace_back(codec, codec);
    in.codec = r.choice<std::string>("codec", codecs, std::string("opus"));
    in.profile = readProfile(r);
    in.key = readKey(r, in.profile);
    in.allowPlainRtp = r.boolean("allow_plain_rtp", false);
    if (in.key && in.allowPlainRtp)
        r.fail(r.node("allow_plain_rtp", false), r.keyPath("allow_plain_rtp"), "contradicts key");
    in.jitterMs = r.integer("jitter_ms", 20, 200, in.jitterMs);
    in.timeoutMs = r.integer("timeout_ms", 60, 60000, in.timeoutMs);
    in.returnMs = r.integer("return_ms", 0, 600000, in.returnMs);
    in.silenceDbfs = r.decimal("silence_dbfs", -120, 0, in.silenceDbfs);
    in.silenceS = r.integer("silence_s", 0, 3600, in.silenceS);
    in.ssrcTakeoverMs = r.integer("ssrc_takeover_ms", 0, 60000, in.ssrcTakeoverMs);
    if (r.has("source")) {
        const YAML::Node source = r.node("source", true);
        const auto one = [&](const YAML::Node& n, const std::string& key) {
            auto pattern = n.IsScalar() ? AddressPattern::parse(n.Scalar()) : std::nullopt;
            if (!pattern)
                r.fail(n, key,
                       "expected an address (10.0.0.2), an address and port (10.0.0.2:5004, [fd00::2]:5004) or a "
                       "network (10.0.0.0/8), got " +
                           describeType(n));
            in.sources.push_back(*pattern);
        };
        if (source.IsSequence()) {
            forEachInList(r, "source", true, one);
            if (in.sources.empty()) r.fail(source, r.keyPath("source"), "expected at least one address or network");
        } else {
            one(source, r.keyPath("source"));
        }
    } else {
        r.node("source", false);
    }
    if (r.has("parent")) {
        in.parent = readId(r, "parent");
    } else {
        r.node("parent", false);
    }
    in.gainDb = r.decimal("gain_db", -60, 20, 0);
    in.duck = readDuck(ctx, r);
    r.finish();
    return in;
}

ProgrammeSettings readProgramme(const Context& ctx, const YAML::Node& node, const std::string& path) {
    MapReader r(ctx, node, path);
    ProgrammeSettings p;
    p.id = readId(r, "id");
    p.name = r.string("name", p.id);
    p.payloadType = r.integer("payload_type", 96, 127, 96);
    if (r.has("encoder")) {
        MapReader e(ctx, r.node("encoder", false), path + ".encoder");
        p.encoder.bitrate = e.integer("bitrate", 6000, 510000, 32000);
        p.encoder.channels = e.integer("channels", 1, 2, 1);
        p.encoder.complexity = e.integer("complexity", 0, 10, 5);
        p.encoder.frameMs = e.choice<int>("frame_ms", {{"10", 10}, {"20", 20}, {"40", 40}, {"60", 60}}, 20);
        p.encoder.application = e.choice<OpusApplication>("application",
                                                          {{"audio", OpusApplication::audio},
                                                           {"voip", OpusApplication::voip},
                                                           {"lowdelay", OpusApplication::lowdelay}},
                                                          OpusApplication::audio);
        e.finish();
    } else {
        r.node("encoder", false);
    }
    p.crossfadeMs = r.integer("crossfade_ms", 0, 5000, p.crossfadeMs);
    if (r.has("loudness")) {
        MapReader l(ctx, r.node("loudness", true), path + ".loudness");
        LoudnessSettings loudness;
        loudness.targetDbfs = l.decimal("target_dbfs", -60, 0, loudness.targetDbfs);
        loudness.maxGainDb = l.decimal("max_gain_db", 0, 30, loudness.maxGainDb);
        l.finish();
        p.loudness = loudness;
    } else {
        r.node("loudness", false);
    }
    if (r.has("live")) p.live = readIngest(ctx, r.node("live", true), path + ".live");
    if (r.has("upstream")) p.upstream = readIngest(ctx, r.node("upstream", true), path + ".upstream");
    if (r.has("playlist")) p.playlist = readSegments(ctx, r.node("playlist", true), path + ".playlist");
    if (r.has("filler")) p.filler = readSegments(ctx, r.node("filler", true), path + ".filler");
    for (const char* key : {"live", "upstream", "playlist", "filler"})
        r.node(key, false);
    if (p.live && p.upstream && p.live->listen == p.upstream->listen) {
        r.fail(r.node("upstream", true), path + ".upstream.listen", "is the live feed's address too");
    }
    r.finish();
    return p;
}

/// "HH:MM" or "HH:MM:SS" as seconds since midnight.
std::optional<int> parseTimeOfDay(const std::string& text) {
    int h = 0, m = 0, sec = 0;
    char tail = 0;
    const int n = std::sscanf(text.c_str(), "%2d:%2d:%2d%c", &h, &m, &sec, &tail);
    if (n == 2 && std::sscanf(text.c_str(), "%2d:%2d%c", &h, &m, &tail) != 2) return std::nullopt;
    if ((n != 2 && n != 3) || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59) return std::nullopt;
    return h * 3600 + m * 60 + sec;
}

std::optional<std::array<int, 3>> parseDate(const std::string& text) {
    int y = 0, mo = 0, d = 0;
    char tail = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3 || text.size() != 10) return std::nullopt;
    static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 2000 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1]) return std::nullopt;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return std::nullopt;
    return std::array<int, 3>{y, mo, d};
}

ScheduleEntry readScheduleEntry(const Context& ctx, const YAML::Node& node, const std::string& path) {
    MapReader r(ctx, node, path);
    ScheduleEntry e;
    e.id = readId(r, "id");
    e.programme = r.string("programme");
    const std::string at = r.string("at");
    const auto second = parseTimeOfDay(at);
    if (!second)
        r.fail(r.node("at", true), r.keyPath("at"), "expected a time of day HH:MM or HH:MM:SS, got '" + at + "'");
    e.secondOfDay = *second;
    static const std::vector<std::pair<std::string, int>> kWeekdays = {{"sun", 0}, {"mon", 1}, {"tue", 2}, {"wed", 3},
                                                                       {"thu", 4}, {"fri", 5}, {"sat", 6}};
    forEachInList(r, "days", false, [&](const YAML::Node& d, const std::string& dpath) {
        const auto it = std::find_if(kWeekdays.begin(), kWeekdays.end(),
                                     [&](const auto& w) { return d.IsScalar() && d.Scalar() == w.first; });
        if (it == kWeekdays.end())
            r.fail(d, dpath, "expected one of sun, mon, tue, wed, thu, fri, sat, got " + describeType(d));
        e.weekdays |= static_cast<uint8_t>(1u << it->second);
    });
    if (r.has("date")) {
        const std::string text = r.string("date");
        e.date = parseDate(text);
        if (!e.date) r.fail(r.node("date", true), r.keyPath("date"), "expected a date YYYY-MM-DD, got '" + text + "'");
        if (e.weekdays) r.fail(r.node("date", true), r.keyPath("date"), "an entry has days or a date, not both");
    } else {
        r.node("date", false);
    }
    e.files = readFiles(ctx, r);
    e.priority = r.choice<SchedulePriority>(
        "priority", {{"normal", SchedulePriority::normal}, {"bulletin", SchedulePriority::bulletin}},
        SchedulePriority::normal);
    e.gainDb = r.decimal("gain_db", -60, 20, 0);
    e.duck = readDuck(ctx, r);
    r.finish();
    return e;
}

MulticastGroupSettings readGroup(const Context& ctx, const YAML::Node& node, const std::string& path) {
    MapReader r(ctx, node, path);
    MulticastGroupSettings g;
    g.id = readId(r, "id");
    g.name = r.string("name", g.id);
    g.programme = r.string("programme");
    g.address = r.address("address");
    if (g.address.family() != AF_INET || !g.address.isMulticast()) {
        r.fail(r.node("address", true), r.keyPath("address"),
               "expected an IPv4 multicast group (224.0.0.0/4) and port");
    }
    if (r.has("interface")) {
        const std::string text = r.string("interface");
        g.interface = SocketAddress::parse(text + ":0");
        if (!g.interface || g.interface->family() != AF_INET) {
            r.fail(r.node("interface", true), r.keyPath("interface"),
                   "expected the IPv4 address of an interface, got '" + text + "'");
        }
    }
    g.ttl = r.integer("ttl", 1, 255, 1);
    g.profile = readProfile(r);
    g.key = readKey(r, g.profile);
    r.finish();
    return g;
}

StationSettings readStation(const Context& ctx, const YAML::Node& node, const std::string& path) {
    MapReader r(ctx, node, path);
    StationSettings s;
    s.id = readId(r, "id");
    s.name = r.string("name", s.id);
    s.programme = r.string("programme");
    if (r.has("address")) {
        s.address = r.address("address");
        r.node("port", false);
    } else {
        r.node("address", false);
        s.port = r.integer("port", 1, 65535, s.port);  // learned: its reports will tell where it is
    }
    s.profile = readProfile(r);
    s.key = readKey(r, s.profile);
    if (r.has("area")) {
        s.area = r.string("area");
        const bool valid =
            s.area.front() != '/' && s.area.back() != '/' && s.area.find("//") == std::string::npos &&
            std::all_of(s.area.begin(), s.area.end(), [](char c) { return (c >= '0' && c <= '9') || c == '/'; });
        if (!valid) {
            r.fail(r.node("area", true), r.keyPath("area"),
                   "expected area codes separated by '/', such as 01/001/00001, got '" + s.area + "'");
        }
    } else {
        r.node("area", false);
    }
    forEachInList(r, "groups", false, [&](const YAML::Node& g, const std::string& gpath) {
        if (!g.IsScalar() || !validId(g.Scalar()))
            r.fail(g, gpath, "expected a group name (1 to 64 of A-Z a-z 0-9 . _ -)");
        s.groups.push_back(g.Scalar());
    });
    s.acceptsTests = r.boolean("accepts_tests", false);
    r.finish();
    return s;
}

/// SHA-256 of tokens that must never open the API: empty, and those shown in documentation.
bool isExampleToken(const std::array<uint8_t, 32>& hash) {
    for (const char* example : {"", "example", "changeme", "secret", "token", "password", "loa"}) {
        std::array<uint8_t, 32> h{};
        SHA256(reinterpret_cast<const unsigned char*>(example), std::strlen(example), h.data());
        if (h == hash) return true;
    }
    return false;
}

ApiSettings readApi(const Context& ctx, const YAML::Node& node) {
    MapReader r(ctx, node, "api");
    ApiSettings a;
    a.listen = r.address("listen");
    if (r.has("tls")) {
        MapReader t(ctx, r.node("tls", true), "api.tls");
        a.certificate = t.path("certificate");
        a.privateKey = t.path("key");
        t.finish();
    } else {
        r.node("tls", false);
        if (!a.listen.isLoopback()) {
            r.fail(r.node("listen", true), r.keyPath("listen"),
                   "plain HTTP only on a loopback address: give tls.certificate and tls.key to listen on " +
                       a.listen.toString());
        }
    }
    std::set<std::string> names;
    forEachInList(r, "tokens", true, [&](const YAML::Node& n, const std::string& path) {
        MapReader t(ctx, n, path);
        ApiToken token;
        token.name = readId(t, "name");
        // Names are people: the two-person rule compares them regardless of case, so "alice" and
        // "Alice" are one person and may not be two tokens' names.
        std::string folded = token.name;
        std::transform(folded.begin(), folded.end(), folded.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (!names.insert(folded).second)
            t.fail(n, path + ".name",
                   "duplicate token name '" + token.name + "' (names are compared regardless of case: one person)");
        token.role = t.choice<Role>("role",
                                    {{"viewer", Role::viewer},
                                     {"operator", Role::operator_},
                                     {"emergency", Role::emergency},
                                     {"admin", Role::admin}},
                                    std::nullopt);
        const std::string hex = t.string("sha256");
        const auto bytes = hexDecode(hex);
        if (!bytes || bytes->size() != 32) {
            t.fail(t.node("sha256", true), t.keyPath("sha256"),
                   "expected 64 hex digits (the SHA-256 of the token; loa-gateway token prints one)");
        }
        std::copy(bytes->begin(), bytes->end(), token.sha256.begin());
        if (t.has("expires")) {
            const std::string text = t.string("expires");
            const auto day = parseDate(text);
            if (!day)
                t.fail(t.node("expires", true), t.keyPath("expires"), "expected a date YYYY-MM-DD, got '" + text + "'");
            tm utc{};
            utc.tm_year = (*day)[0] - 1900;
            utc.tm_mon = (*day)[1] - 1;
            utc.tm_mday = (*day)[2] + 1;  // valid through that day (UTC)
            token.expiresMs = static_cast<int64_t>(timegm(&utc)) * 1000;
        } else {
            t.node("expires", false);
        }
        if (isExampleToken(token.sha256)) {
            t.fail(t.node("sha256", true), t.keyPath("sha256"),
                   "is the hash of an empty or example token: make a real one with loa-gateway token");
        }
        t.finish();
        a.tokens.push_back(token);
    });
    if (a.tokens.empty()) r.fail(r.node("tokens", true), r.keyPath("tokens"), "expected at least one token");
    a.twoPersonRule = r.boolean("two_person_rule", true);
    a.confirmWindowS = r.integer("confirm_window_s", 10, 86400, a.confirmWindowS);
    a.maxBodyBytes = r.integer("max_body_bytes", 1024, 16 << 20, a.maxBodyBytes);
    a.maxUploadBytes = r.integer("max_upload_bytes", 1024, 1 << 30, a.maxUploadBytes);
    // The console: a directory, "none", or (by default) the one this build was made with.
    if (r.has("console")) {
        const std::string text = r.string("console");
        if (text != "none") {
            a.console = r.path("console");
            std::error_code ec;
            if (!std::filesystem::is_regular_file(*a.console / "index.html", ec))
                r.fail(r.node("console", true), r.keyPath("console"),
                       "no index.html in " + a.console->string() + " (or write none for no console)");
        }
    } else {
        std::error_code ec;
        if (std::filesystem::is_regular_file(std::filesystem::path(LOA_CONSOLE_DIR) / "index.html", ec))
            a.console = std::filesystem::path(LOA_CONSOLE_DIR);
    }
    r.finish();
    return a;
}

EmergencySettings readEmergency(const Context& ctx, const YAML::Node& node) {
    MapReader r(ctx, node, "emergency");
    EmergencySettings e;
    e.toneMs = r.integer("tone_ms", 0, 30000, e.toneMs);
    e.slots = r.integer("slots", 1, 16, e.slots);
    if (r.has("messages")) {
        YAML::Node m = r.node("messages", true);
        if (!m.IsMap()) r.fail(m, r.keyPath("messages"), "expected a mapping of message names to files");
        for (const auto& kv : m) {
            const std::string name = kv.first.Scalar();
            if (!validId(name)) r.fail(kv.first, r.keyPath("messages"), "expected a message name, got '" + name + "'");
            if (!kv.second.IsScalar()) r.fail(kv.second, r.keyPath("messages." + name), "expected a file path");
            std::filesystem::path file = kv.second.Scalar();
            if (!file.is_absolute()) file = (ctx.baseDir / file).lexically_normal();
            std::error_code ec;
            if (!std::filesystem::is_regular_file(file, ec)) {
                r.fail(kv.second, r.keyPath("messages." + name), "no such file: " + file.string());
            }
            e.messages.emplace_back(name, file);
        }
    } else {
        r.node("messages", false);
    }
    r.finish();
    return e;
}

}  // namespace

Settings parseSettings(const std::string& yamlText, const std::filesystem::path& file) {
    Context ctx{file.string(), file.parent_path().empty() ? std::filesystem::current_path()
                                                          : std::filesystem::absolute(file.parent_path()),
                {}};
    YAML::Node root;
    try {
        root = YAML::Load(yamlText);
    } catch (const YAML::Exception& e) {
        throw ConfigError(ctx.file, e.mark.line + 1, "(document)", "not valid YAML: " + e.msg);
    }
    if (!root || root.IsNull()) throw ConfigError(ctx.file, 1, "(document)", "the file is empty");

    MapReader top(ctx, root, "");
    Settings s;
    s.file = file;
    s.gateway = readGateway(ctx, top.node("gateway", true));

    std::set<std::string> ids;
    forEachInList(top, "programmes", true, [&](const YAML::Node& n, const std::string& path) {
        auto p = readProgramme(ctx, n, path);
        for (const auto* in : {p.live ? &*p.live : nullptr, p.upstream ? &*p.upstream : nullptr}) {
            if (in && in->listen == s.gateway.mediaListen) {
                top.fail(n, path + (in == &*p.live ? ".live" : ".upstream") + ".listen",
                         "is the gateway's media address");
            }
        }
        if (!ids.insert(p.id).second) top.fail(n["id"], path + ".id", "duplicate programme id '" + p.id + "'");
        s.programmes.push_back(std::move(p));
    });
    if (s.programmes.empty()) top.fail(root["programmes"], "programmes", "expected at least one programme");
    // A frame's packets are all sent before the next frame: the pacing window is shorter than the
    // shortest frame (by default 15 ms, or three quarters of a shorter frame).
    int shortest = 60;
    for (const auto& p : s.programmes)
        shortest = std::min(shortest, p.encoder.frameMs);
    const YAML::Node pacing = root["gateway"]["fanout"]["pacing_ms"];
    if (!pacing) {
        s.gateway.fanout.pacingMs = std::min(s.gateway.fanout.pacingMs, shortest * 3 / 4);
    } else if (s.gateway.fanout.pacingMs >= shortest) {
        top.fail(pacing, "gateway.fanout.pacing_ms",
                 "must be shorter than the shortest programme frame (frame_ms " + std::to_string(shortest) + "), got " +
                     std::to_string(s.gateway.fanout.pacingMs));
    }

    ids.clear();
    forEachInList(top, "stations", false, [&](const YAML::Node& n, const std::string& path) {
        auto st = readStation(ctx, n, path);
        if (!ids.insert(st.id).second) top.fail(n["id"], path + ".id", "duplicate station id '" + st.id + "'");
        if (!s.findProgramme(st.programme)) {
            top.fail(n["programme"], path + ".programme", "no programme with id '" + st.programme + "'");
        }
        s.stations.push_back(std::move(st));
    });
    ids.clear();
    forEachInList(top, "multicast_groups", false, [&](const YAML::Node& n, const std::string& path) {
        auto g = readGroup(ctx, n, path);
        if (!ids.insert(g.id).second) top.fail(n["id"], path + ".id", "duplicate group id '" + g.id + "'");
        if (!s.findProgramme(g.programme)) {
            top.fail(n["programme"], path + ".programme", "no programme with id '" + g.programme + "'");
        }
        s.multicastGroups.push_back(std::move(g));
    });
    if (top.has("api")) {
        s.api = readApi(ctx, top.node("api", true));
    } else {
        top.node("api", false);
    }
    if (top.has("emergency")) {
        s.emergency = readEmergency(ctx, top.node("emergency", true));
    } else {
        top.node("emergency", false);
    }
    ids.clear();
    forEachInList(top, "schedule", false, [&](const YAML::Node& n, const std::string& path) {
        auto e = readScheduleEntry(ctx, n, path);
        if (!ids.insert(e.id).second) top.fail(n["id"], path + ".id", "duplicate schedule entry id '" + e.id + "'");
        if (!s.findProgramme(e.programme)) {
            top.fail(n["programme"], path + ".programme", "no programme with id '" + e.programme + "'");
        }
        s.schedule.push_back(std::move(e));
    });
    // Stations' addresses, once every listening socket of the gateway is known.
    if (const YAML::Node list = root["stations"]; list && list.IsSequence()) {
        std::map<std::string, std::string> used;  // address -> station
        for (size_t i = 0; i < s.stations.size() && i < list.size(); ++i) {
            const auto& st = s.stations[i];
            auto problem = stationAddressProblem(st, s, false);
            if (problem.empty() && !st.learnsAddress()) {
                const auto [it, fresh] = used.emplace(unmapped(st.address).toString(), st.id);
                if (!fresh) problem = "address " + it->first + " is already used by station '" + it->second + "'";
            }
            if (!problem.empty()) top.fail(list[i]["address"], "stations[" + std::to_string(i) + "].address", problem);
        }
    }
    top.finish();
    return s;
}

namespace {
/// The addresses of this machine's interfaces, and their broadcast addresses (read at most once
/// a second: a config of 10,000 stations asks 10,000 times).
void localAddresses(std::vector<SocketAddress>& own, std::vector<SocketAddress>& broadcast) {
    static std::mutex mutex;
    static std::chrono::steady_clock::time_point readAt;
    static std::vector<SocketAddress> cachedOwn, cachedBroadcast;
    std::lock_guard lock(mutex);
    const auto now = std::chrono::steady_clock::now();
    if (readAt.time_since_epoch().count() != 0 && now - readAt < std::chrono::seconds(1)) {
        own = cachedOwn;
        broadcast = cachedBroadcast;
        return;
    }
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return;
    for (const ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6)) continue;
        const socklen_t len = i->ifa_addr->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
        own.push_back(SocketAddress::fromSockaddr(i->ifa_addr, len));
        if ((i->ifa_flags & IFF_BROADCAST) && i->ifa_broadaddr && i->ifa_broadaddr->sa_family == AF_INET)
            broadcast.push_back(SocketAddress::fromSockaddr(i->ifa_broadaddr, sizeof(sockaddr_in)));
    }
    freeifaddrs(list);
    readAt = now;
    cachedOwn = own;
    cachedBroadcast = broadcast;
}

bool sameHost(const SocketAddress& a, const SocketAddress& b) {
    return a.family() == b.family() && a.host() == b.host();
}

/// An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it is, so that no check
/// can be passed by spelling an address the other way.
SocketAddress unmapped(const SocketAddress& a) {
    static const std::string kMapped = "::ffff:";
    if (a.family() != AF_INET6 || a.host().rfind(kMapped, 0) != 0) return a;
    const auto v4 = SocketAddress::parse(a.host().substr(kMapped.size()) + ":" + std::to_string(a.port()));
    return v4 ? *v4 : a;
}
}  // namespace

std::string stationAddressProblem(const StationSettings& st, const Settings& s, bool checkOthers) {
    if (st.learnsAddress()) return {};
    const auto a = unmapped(st.address);
    const std::string shown = st.address.toString();
    if (a.port() == 0) return "port 0 is no station's port: give the port it listens on";
    if (a.isMulticast())
        return shown + " is a multicast address: a station has its own unicast address (multicast_groups send to a group)";
    std::vector<SocketAddress> own, broadcast;
    localAddresses(own, broadcast);
    const bool isBroadcast = (a.family() == AF_INET && a.host() == "255.255.255.255") ||
                             std::any_of(broadcast.begin(), broadcast.end(), [&](const auto& b) { return sameHost(a, b); });
    if (isBroadcast) return shown + " is a broadcast address: a station has its own unicast address";
    // This machine, however it is spelled: everything sent there on a port the gateway listens
    // on would come back to the gateway itself.
    const bool local = a.isUnspecified() || a.isLoopback() ||
                       std::any_of(own.begin(), own.end(), [&](const auto& o) { return sameHost(a, o); });
    if (local) {
        std::vector<std::pair<std::string, SocketAddress>> sockets = {{"media", s.gateway.mediaListen}};
        for (const auto& p : s.programmes) {
            if (p.live) sockets.push_back({"programme " + p.id + "'s live feed", p.live->listen});
            if (p.upstream) sockets.push_back({"programme " + p.id + "'s upstream", p.upstream->listen});
        }
        if (s.api) sockets.push_back({"control API", s.api->listen});
        for (const auto& [what, socket] : sockets) {
            if (socket.port() == a.port())
                return shown + " is this gateway's own " + what + " socket (" + socket.toString() +
                       "): a station there would be the gateway sending to itself";
        }
    }
    if (!checkOthers) return {};
    for (const auto& other : s.stations) {
        if (other.id != st.id && !other.learnsAddress() && unmapped(other.address) == a)
            return "address " + shown + " is already used by station '" + other.id + "'";
    }
    return {};
}

namespace {
YAML::Node loadFragment(const std::string& text, const std::string& source) {
    try {
        return YAML::Load(text);  // JSON is YAML too
    } catch (const YAML::Exception& e) {
        throw ConfigError(source, e.mark.line + 1, "(document)", "not valid JSON or YAML: " + e.msg);
    }
}
}  // namespace

ScheduleEntry parseScheduleEntry(const std::string& text, const Settings& settings, const std::string& source) {
    // Names are the segments directory's; only it and the media roots are open to the API.
    Context ctx{source, settings.gateway.segmentsDir(), {settings.gateway.segmentsDir()}};
    for (const auto& root : settings.gateway.mediaRoots)
        ctx.roots.push_back(root);
    const YAML::Node node = loadFragment(text, source);
    auto e = readScheduleEntry(ctx, node, "entry");
    if (!settings.findProgramme(e.programme)) {
        MapReader(ctx, YAML::Load("{}"), "")
            .fail(node["programme"], "entry.programme", "no programme with id '" + e.programme + "'");
    }
    return e;
}

StationSettings parseStation(const std::string& text, const Settings& settings, const std::string& source) {
    Context ctx{source, settings.file.parent_path(), {}};
    const YAML::Node node = loadFragment(text, source);
    MapReader top(ctx, YAML::Load("{}"), "");
    auto st = readStation(ctx, node, "station");
    if (!settings.findProgramme(st.programme)) {
        top.fail(node["programme"], "station.programme", "no programme with id '" + st.programme + "'");
    }
    if (const auto problem = stationAddressProblem(st, settings); !problem.empty())
        top.fail(node["address"], "station.address", problem);
    return st;
}

Settings loadSettings(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw Error("cannot read config file " + file.string() + ": " + std::strerror(errno));
    std::stringstream text;
    text << in.rdbuf();
    return parseSettings(text.str(), file);
}

}  // namespace loa
