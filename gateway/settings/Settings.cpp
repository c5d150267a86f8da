#include "settings/Settings.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <utility>

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

/// Where we are in the document, for error messages.
struct Context {
    std::string file;
    std::filesystem::path baseDir;
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

bool validId(const std::string& id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
               c == '.';
    });
}

std::string readId(MapReader& r, const std::string& key) {
    const std::string id = r.string(key);
    if (!validId(id)) {
        r.fail(r.node(key, true), r.keyPath(key),
               "expected 1 to 64 characters from A-Z a-z 0-9 . _ -, got '" + id + "'");
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
        g.fanout.pacingMs = f.integer("pacing_ms", 0, 60, 10);
        g.fanout.slots = f.integer("slots", 1, 100, 10);
        f.finish();
    } else {
        r.node("fanout", false);
    }
    const std::string level = r.string("log_level", "info");
    if (!log::parseLevel(level, g.logLevel)) {
        r.fail(r.node("log_level", false), r.keyPath("log_level"),
               "expected trace, debug, info, warn, error or off, got '" + level + "'");
    }
    r.finish();
    return g;
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
        e.finish();
    } else {
        r.node("encoder", false);
    }
    MapReader pl(ctx, r.node("playlist", true), path + ".playlist");
    p.playlist.mode = pl.choice<PlaylistMode>(
        "mode", {{"loop", PlaylistMode::loop}, {"once", PlaylistMode::once}, {"shuffle", PlaylistMode::shuffle}},
        PlaylistMode::loop);
    forEachInList(pl, "files", true, [&](const YAML::Node& f, const std::string& fpath) {
        if (!f.IsScalar() || f.Scalar().empty()) pl.fail(f, fpath, "expected a file path, got " + describeType(f));
        std::filesystem::path file = f.Scalar();
        if (!file.is_absolute()) file = (ctx.baseDir / file).lexically_normal();
        std::error_code ec;
        if (!std::filesystem::is_regular_file(file, ec)) pl.fail(f, fpath, "no such file: " + file.string());
        p.playlist.files.push_back(file);
    });
    if (p.playlist.files.empty()) pl.fail(pl.node("files", true), pl.keyPath("files"), "expected at least one file");
    pl.finish();
    r.finish();
    return p;
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

MulticastGroupSettings readGroup(const Context& ctx, const YAML::Node& node, const std::string& path) {
    MapReader r(ctx, node, path);
    MulticastGroupSettings g;
    g.id = readId(r, "id");
    g.name = r.string("name", g.id);
    g.programme = r.string("programme");
    g.address = r.address("address");
    if (g.address.family() != AF_INET || !g.address.isMulticast()) {
        r.fail(r.node("address", true), r.keyPath("address"), "expected an IPv4 multicast group (224.0.0.0/4) and port");
    }
    if (r.has("interface")) {
        const std::string text = r.string("interface");
        g.interface = SocketAddress::parse(text + ":0");
        if (!g.interface || g.interface->family() != AF_INET) {
            r.fail(r.node("interface", true), r.keyPath("interface"), "expected the IPv4 address of an interface, got '" + text + "'");
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
    s.address = r.address("address");
    s.profile = readProfile(r);
    s.key = readKey(r, s.profile);
    r.finish();
    return s;
}

}  // namespace

Settings parseSettings(const std::string& yamlText, const std::filesystem::path& file) {
    Context ctx{file.string(), file.parent_path().empty() ? std::filesystem::current_path()
                                                          : std::filesystem::absolute(file.parent_path())};
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
        if (!ids.insert(p.id).second) top.fail(n["id"], path + ".id", "duplicate programme id '" + p.id + "'");
        s.programmes.push_back(std::move(p));
    });
    if (s.programmes.empty()) top.fail(root["programmes"], "programmes", "expected at least one programme");

    ids.clear();
    forEachInList(top, "stations", false, [&](const YAML::Node& n, const std::string& path) {
        auto st = readStation(ctx, n, path);
        if (!ids.insert(st.id).second) top.fail(n["id"], path + ".id", "duplicate station id '" + st.id + "'");
        if (!s.findProgramme(st.programme)) {
            top.fail(n["programme"], path + ".programme", "no programme with id '" + st.programme + "'");
        }
        for (const auto& other : s.stations) {
            if (other.address == st.address) {
                top.fail(n["address"], path + ".address",
                         "address " + st.address.toString() + " is already used by station '" + other.id + "'");
            }
        }
        if (st.address == s.gateway.mediaListen) {
            top.fail(n["address"], path + ".address", "is the gateway's own media address");
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
    top.finish();
    return s;
}

Settings loadSettings(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw Error("cannot read config file " + file.string() + ": " + std::strerror(errno));
    std::stringstream text;
    text << in.rdbuf();
    return parseSettings(text.str(), file);
}

}  // namespace loa
